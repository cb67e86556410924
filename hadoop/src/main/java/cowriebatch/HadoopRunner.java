package cowriebatch;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.mapred.Counters;
import org.apache.hadoop.util.ToolRunner;

/**
 * Runs cowrie-batch as a two-job Hadoop Streaming pipeline:
 *
 * <pre>
 *   job 1 "sessions":  input logs  -> mr map-sessions  | combine-sessions  | reduce-sessions  -> sessions/
 *   job "markers":     sessions/   -> mr map-markers   | combine-markers   | reduce-markers   -> markers/ (1 reducer)
 *   job 2 "analyses":  sessions/   -> mr map-analyses  | combine-analyses  | reduce-analyses  -> analyses/
 *                      (with the marker set from markers/ in CB_MARKERS)
 * </pre>
 *
 * <p>{@code --cluster local} (default) starts an in-process MiniDFSCluster (real NameNode + DataNode,
 * data under the work dir) and runs both jobs with the MapReduce LocalJobRunner against it.
 * {@code --conf DIR} uses a real cluster's configuration directory instead and ships the binary with
 * {@code -files}. See hadoop/README.md.
 *
 * <p>Exit codes: 0 both jobs succeeded; 1 a job failed; 2 usage error; 3 set-up failed (cluster start,
 * upload, copy-back).
 */
public final class HadoopRunner {
  static final int EXIT_OK = 0, EXIT_JOB_FAILED = 1, EXIT_USAGE = 2, EXIT_SETUP = 3;
  private static final PrintStream ERR = System.err;
  private static final long T0 = System.nanoTime();

  static void log(String msg) {
    ERR.printf(Locale.ROOT, "[cowrie-batch-hadoop %6.1fs] %s%n", (System.nanoTime() - T0) / 1e9, msg);
    ERR.flush();
  }

  // ---------------------------------------------------------------- options
  static final class Options {
    String cluster = "local";
    boolean clusterGiven;
    String confDir;
    String binary;
    final List<String> inputs = new ArrayList<>();
    final List<String> hdfsInputs = new ArrayList<>();
    String workdir;
    int reducers = 2;
    final List<String> mrArgs = new ArrayList<>();
    String hdfsBase = "/cowrie-batch";
    String runId;
    int localMaps = 2;
    boolean keepDfs;
    final List<String> extraD = new ArrayList<>();
    final List<String> cmdenv = new ArrayList<>();
  }

  static final String USAGE = String.join("\n",
      "usage: run.sh [options]",
      "  --binary PATH        cowrie-batch executable (run as 'PATH mr <subcommand> [--mr-arg...]')",
      "  --input LOCALPATH    local file or folder (recursive); repeatable; copied to HDFS",
      "                       <hdfs-base>/<run-id>/input/ keeping relative names",
      "  --hdfs-input URI     input already in HDFS (file, folder or glob); repeatable",
      "  --workdir LOCALDIR   where sessions/, analyses/, counters.json (and, locally, dfs/) go",
      "  --reducers N         reduce tasks per job (default 2)",
      "  --mr-arg ARG         appended to every 'mr' command line; repeatable",
      "  --cluster local      (default) in-process MiniDFSCluster + LocalJobRunner",
      "  --conf DIR           real cluster: core-site.xml, hdfs-site.xml, mapred-site.xml, yarn-site.xml",
      "  --hdfs-base PATH     HDFS folder for runs (default /cowrie-batch)",
      "  --run-id ID          default: yyyyMMdd-HHmmss-xxxx",
      "  --local-maps N       parallel map/reduce threads of the LocalJobRunner (default 2)",
      "  --keep-dfs           local mode: keep <workdir>/dfs after the run",
      "  --cmdenv NAME=VALUE  environment variable for every mr process; repeatable",
      "  -D key=value         extra job setting for both jobs; repeatable",
      "exit: 0 ok, 1 a job failed, 2 usage, 3 set-up (cluster, upload, copy-back) failed");

  static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) { // --opt=value
        v = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      switch (a) {
        case "-h": case "--help":
          ERR.println(USAGE);
          System.exit(EXIT_OK);
          break;
        case "--keep-dfs": o.keepDfs = true; break;
        default: {
          if (!a.equals("-D") && !a.startsWith("--")) usage("unexpected argument: " + args[i]);
          if (v == null) {
            if (i + 1 >= args.length) usage(a + " needs a value");
            v = args[++i];
          }
          switch (a) {
            case "--cluster":
              if (o.confDir != null) usage("give either --cluster local or --conf DIR");
              o.cluster = v;
              o.clusterGiven = true;
              break;
            case "--conf":
              if (!o.cluster.equals("local") || o.clusterGiven) usage("give either --cluster local or --conf DIR");
              o.confDir = v;
              o.cluster = "conf";
              break;
            case "--binary": o.binary = v; break;
            case "--input": o.inputs.add(v); break;
            case "--hdfs-input": o.hdfsInputs.add(v); break;
            case "--workdir": o.workdir = v; break;
            case "--reducers": o.reducers = parseInt(a, v, 0); break;
            case "--mr-arg": o.mrArgs.add(v); break;
            case "--hdfs-base": o.hdfsBase = v; break;
            case "--run-id": o.runId = v; break;
            case "--local-maps": o.localMaps = parseInt(a, v, 1); break;
            case "--cmdenv":
              // streaming joins all -cmdenv as "a=b c=d" and splits on spaces again
              if (!v.matches("[A-Za-z_][A-Za-z0-9_]*=\\S*")) usage("--cmdenv needs NAME=VALUE, VALUE without spaces");
              o.cmdenv.add(v);
              break;
            case "-D":
              if (!v.contains("=")) usage("-D needs key=value");
              o.extraD.add(v);
              break;
            default: usage("unknown option: " + a);
          }
        }
      }
    }
    if (o.binary == null) usage("--binary is required");
    if (o.workdir == null) usage("--workdir is required");
    if (o.inputs.isEmpty() && o.hdfsInputs.isEmpty()) usage("give at least one --input or --hdfs-input");
    if (!o.cluster.equals("local") && !o.cluster.equals("conf")) {
      usage("--cluster must be 'local' (or use --conf DIR)");
    }
    if (o.runId == null) {
      o.runId = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
          + "-" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    }
    if (!o.runId.matches("[A-Za-z0-9._-]+")) usage("--run-id may only use A-Z a-z 0-9 . _ -");
    return o;
  }

  private static int parseInt(String opt, String v, int min) {
    try {
      int n = Integer.parseInt(v);
      if (n < min) usage(opt + " must be >= " + min);
      return n;
    } catch (NumberFormatException e) {
      usage(opt + " needs a number, got '" + v + "'");
      return -1;
    }
  }

  private static void usage(String msg) {
    ERR.println("error: " + msg);
    ERR.println(USAGE);
    System.exit(EXIT_USAGE);
  }

  // ---------------------------------------------------------------- command lines
  /**
   * Streaming splits a command on spaces, honouring single and double quotes (no shell, no escapes).
   * Quote each word that needs it.
   */
  static String quoteWord(String w) {
    if (!w.isEmpty() && !w.matches(".*[\\s'\"].*")) return w;
    if (!w.contains("'")) return "'" + w + "'";
    if (!w.contains("\"")) return "\"" + w + "\"";
    throw new IllegalArgumentException("cannot pass an argument with both ' and \" to streaming: " + w);
  }

  static String command(String program, String sub, List<String> mrArgs) {
    StringBuilder sb = new StringBuilder(quoteWord(program)).append(" mr ").append(sub);
    for (String a : mrArgs) sb.append(' ').append(quoteWord(a));
    return sb.toString();
  }

  // ---------------------------------------------------------------- job results
  static final class JobResult {
    final String name;
    String jobId;
    int exitCode = -1;
    boolean succeeded;
    double wallSeconds;
    String failureInfo;
    String output;
    List<String> inputs = new ArrayList<>();
    List<String> localParts = new ArrayList<>();
    Counters counters;

    JobResult(String name) { this.name = name; }
  }

  // ---------------------------------------------------------------- main
  public static void main(String[] args) {
    Options o = parse(args);
    int rc;
    try {
      rc = new HadoopRunner(o).run();
    } catch (SetupException e) {
      log("ERROR: " + e.getMessage());
      if (e.getCause() != null) e.getCause().printStackTrace(ERR);
      rc = EXIT_SETUP;
    } catch (Throwable t) {
      log("ERROR: unexpected " + t);
      t.printStackTrace(ERR);
      rc = EXIT_SETUP;
    }
    log(rc == 0 ? "done: all jobs succeeded" : "FAILED with exit code " + rc);
    // Hadoop leaves non-daemon threads (IPC, metrics) behind; exit explicitly.
    System.exit(rc);
  }

  static final class SetupException extends Exception {
    SetupException(String msg, Throwable cause) { super(msg, cause); }
  }

  private final Options o;
  private MiniDFSCluster dfs;
  private Path dfsBase;
  private final AtomicBoolean dfsDown = new AtomicBoolean(false);

  HadoopRunner(Options o) { this.o = o; }

  int run() throws Exception {
    Path work = Paths.get(o.workdir).toAbsolutePath().normalize();
    Files.createDirectories(work);
    Path binary = Paths.get(o.binary).toAbsolutePath().normalize();
    if (!Files.isRegularFile(binary)) throw new SetupException("--binary " + binary + " is not a file", null);
    if (!Files.isExecutable(binary)) throw new SetupException("--binary " + binary + " is not executable", null);

    for (String in : o.inputs) { // fail before spending seconds on a cluster
      if (!Files.exists(Paths.get(in))) throw new SetupException("--input " + in + " does not exist", null);
    }

    Configuration conf;
    String clusterDesc;
    boolean local = o.cluster.equals("local");
    try {
      if (local) {
        conf = startMiniCluster(work);
        clusterDesc = "local";
      } else {
        conf = loadClusterConf(Paths.get(o.confDir));
        clusterDesc = "conf:" + Paths.get(o.confDir).toAbsolutePath().normalize();
      }
    } catch (SetupException e) {
      shutdownMiniCluster();
      throw e;
    } catch (Exception e) {
      shutdownMiniCluster();
      throw new SetupException("could not start/configure the cluster: " + e, e);
    }
    try {
      return runPipeline(conf, work, binary, local, clusterDesc);
    } finally {
      shutdownMiniCluster();
    }
  }

  private Configuration startMiniCluster(Path work) throws Exception {
    Path base = work.resolve("dfs");
    dfsBase = base;
    // MiniDFSCluster and GenericTestUtils read these; keep everything under the work dir.
    System.setProperty("test.build.data", work.resolve("test-data").toString());
    System.setProperty("hadoop.log.dir", work.resolve("logs").toString());
    Files.createDirectories(work.resolve("logs"));
    // The NameNode/DataNode web servers unpack into java.io.tmpdir; a killed run would leave that in /tmp.
    Path javaTmp = work.resolve("java-tmp");
    Files.createDirectories(javaTmp);
    System.setProperty("java.io.tmpdir", javaTmp.toString());
    long t = System.nanoTime();
    log("starting MiniDFSCluster (1 NameNode + 1 DataNode) under " + base);
    Configuration hc = new HdfsConfiguration();
    hc.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
    hc.setInt("dfs.replication", 1);
    // NameNode/DataNode web UIs are not needed; ephemeral ports avoid clashes.
    hc.set("dfs.namenode.http-address", "127.0.0.1:0");
    hc.set("dfs.datanode.http.address", "127.0.0.1:0");
    Runtime.getRuntime().addShutdownHook(new Thread(this::shutdownMiniCluster, "minidfs-shutdown"));
    dfs = new MiniDFSCluster.Builder(hc, base.toFile())
        .numDataNodes(1)
        .format(true)
        .build();
    dfs.waitActive();
    URI uri = dfs.getURI();
    log(String.format(Locale.ROOT,
        "HDFS up at %s in %.1fs: NameNode rpc %s, web %s; DataNode %s; data in %s",
        uri, (System.nanoTime() - t) / 1e9,
        dfs.getNameNode().getNameNodeAddress(),
        dfs.getNameNode().getHttpAddress(),
        dfs.getDataNodes().get(0).getDisplayName(),
        base));

    Configuration c = new Configuration(dfs.getConfiguration(0));
    c.set("fs.defaultFS", uri.toString());
    c.set("mapreduce.framework.name", "local");
    c.set("mapreduce.cluster.local.dir", work.resolve("mapred-local").toString());
    c.set("hadoop.tmp.dir", work.resolve("tmp").toString());
    c.setInt("mapreduce.local.map.tasks.maximum", o.localMaps);
    c.setInt("mapreduce.local.reduce.tasks.maximum", o.localMaps);
    return c;
  }

  private Configuration loadClusterConf(Path dir) throws SetupException {
    if (!Files.isDirectory(dir)) throw new SetupException("--conf " + dir + " is not a folder", null);
    // Load the *-default.xml files first so the site files override them.
    new HdfsConfiguration();
    Configuration c = new Configuration();
    int found = 0;
    for (String f : new String[] {"core-site.xml", "hdfs-site.xml", "mapred-site.xml", "yarn-site.xml"}) {
      Path p = dir.resolve(f);
      if (Files.isRegularFile(p)) {
        c.addResource(new org.apache.hadoop.fs.Path(p.toUri()));
        found++;
      }
    }
    if (found == 0) throw new SetupException("--conf " + dir + " has none of core/hdfs/mapred/yarn-site.xml", null);
    log("cluster configuration from " + dir.toAbsolutePath() + ": fs.defaultFS=" + c.get("fs.defaultFS")
        + ", mapreduce.framework.name=" + c.get("mapreduce.framework.name")
        + ", yarn.resourcemanager.address=" + c.get("yarn.resourcemanager.address"));
    if ("local".equals(c.get("mapreduce.framework.name", "local"))) {
      log("WARNING: mapreduce.framework.name is 'local' in " + dir + ": jobs will run in this JVM");
    }
    return c;
  }

  private void shutdownMiniCluster() {
    if (!dfsDown.compareAndSet(false, true)) return;
    if (dfs == null) { // start-up failed or was interrupted: nothing to stop, only data to remove
      if (dfsBase != null && !o.keepDfs) org.apache.hadoop.fs.FileUtil.fullyDelete(dfsBase.toFile());
      return;
    }
    long t = System.nanoTime();
    // The DataNode and NameNode log interrupted threads at WARN/ERROR while stopping: expected here.
    try {
      org.apache.log4j.Logger.getLogger("org.apache.hadoop.hdfs").setLevel(org.apache.log4j.Level.OFF);
      org.apache.log4j.Logger.getLogger("org.apache.hadoop.fs.CachingGetSpaceUsed").setLevel(org.apache.log4j.Level.OFF);
    } catch (Throwable ignored) {
      // another logging backend: just let it talk
    }
    try {
      dfs.shutdown(!o.keepDfs);
      log(String.format(Locale.ROOT, "MiniDFSCluster stopped in %.1fs%s", (System.nanoTime() - t) / 1e9,
          o.keepDfs ? " (dfs/ kept)" : ""));
    } catch (Throwable e) {
      // On SIGTERM/Ctrl-C this runs in a JVM shutdown hook, where MiniDFSCluster.shutdown throws
      // "Shutdown in progress" half-way. The daemons die with the JVM anyway; remove their data.
      log("MiniDFSCluster shutdown interrupted (" + e.getClass().getSimpleName() + "); the JVM is exiting");
      if (!o.keepDfs && dfsBase != null) org.apache.hadoop.fs.FileUtil.fullyDelete(dfsBase.toFile());
    }
  }

  private int runPipeline(Configuration conf, Path work, Path binary, boolean local, String clusterDesc)
      throws Exception {
    FileSystem fs = FileSystem.get(conf);
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(o.hdfsBase, o.runId);
    root = fs.makeQualified(root);
    org.apache.hadoop.fs.Path inputDir = new org.apache.hadoop.fs.Path(root, "input");
    org.apache.hadoop.fs.Path sessionsDir = new org.apache.hadoop.fs.Path(root, "sessions");
    org.apache.hadoop.fs.Path analysesDir = new org.apache.hadoop.fs.Path(root, "analyses");
    org.apache.hadoop.fs.Path markersDir = new org.apache.hadoop.fs.Path(root, "markers");
    if (fs.exists(root)) throw new SetupException(root + " already exists (pick another --run-id)", null);
    log("run " + o.runId + ": HDFS folder " + root);

    // ---- inputs
    List<String> jobInputs = new ArrayList<>();
    if (!o.inputs.isEmpty()) {
      long t = System.nanoTime();
      fs.mkdirs(inputDir);
      InputStager st = new InputStager(fs, conf, inputDir);
      try {
        for (String in : o.inputs) st.stage(Paths.get(in));
        st.upload(4);
      } catch (IOException e) {
        throw new SetupException("upload to " + inputDir + " failed: " + e.getMessage(), e);
      }
      if (st.files() == 0) throw new SetupException("no input files found in " + o.inputs, null);
      log(String.format(Locale.ROOT,
          "uploaded %d files (%.1f MB) to %s in %.1fs (%d renamed for their compression, %d zstd decompressed, %d hidden skipped)",
          st.files(), st.bytesRead() / 1e6, inputDir.toUri().getPath(), (System.nanoTime() - t) / 1e9,
          st.renamed(), st.decompressed(), st.skipped));
      jobInputs.add(inputDir.toString());
    }
    jobInputs.addAll(o.hdfsInputs);

    // ---- the program as streaming sees it
    String program;
    List<String> generic = new ArrayList<>();
    if (local) {
      // LocalJobRunner runs tasks in this JVM's cwd; -files would be symlinked there. Use the absolute path.
      program = binary.toString();
    } else {
      // Ship the binary; tasks find it as ./cowrie-batch in their cwd (PATH search starts with the cwd).
      generic.add("-files");
      generic.add(binary.toUri() + "#cowrie-batch");
      program = "cowrie-batch";
    }

    List<JobResult> results = new ArrayList<>();
    int rc = EXIT_OK;
    try {
      JobResult j1 = runJob(conf, "sessions", generic, jobInputs, sessionsDir, program,
          "map-sessions", "combine-sessions", "reduce-sessions", o.reducers, List.of());
      results.add(j1);
      JobResult jm = null;
      if (j1.succeeded) {
        // Markers are decided over all sessions at once: one reducer, one record.
        jm = runJob(conf, "markers", generic, List.of(sessionsDir.toString()), markersDir, program,
            "map-markers", "combine-markers", "reduce-markers", 1, List.of());
        results.add(jm);
      }
      if (jm == null || !jm.succeeded) {
        rc = EXIT_JOB_FAILED;
      } else {
        String markerSet = readRecord(fs, markersDir, "marker-set");
        JobResult j2 = runJob(conf, "analyses", generic, List.of(sessionsDir.toString()), analysesDir, program,
            "map-analyses", "combine-analyses", "reduce-analyses", o.reducers,
            markerSet.isEmpty() ? List.of() : List.of("CB_MARKERS=" + markerSet));
        results.add(j2);
        if (!j2.succeeded) rc = EXIT_JOB_FAILED;
      }
      if (rc == EXIT_OK) {
        try {
          copyBack(fs, sessionsDir, work.resolve("sessions"), results.get(0));
          copyBack(fs, markersDir, work.resolve("markers"), results.get(1));
          copyBack(fs, analysesDir, work.resolve("analyses"), results.get(2));
        } catch (IOException e) {
          throw new SetupException("copying results to " + work + " failed: " + e, e);
        }
      }
    } finally {
      writeCounters(work.resolve("counters.json"), results, clusterDesc, fs.getUri().toString(), root, rc);
    }
    for (JobResult r : results) {
      if (!r.succeeded) {
        log("ERROR: job '" + r.name + "' (" + (r.jobId == null ? "not submitted" : r.jobId) + ") failed, streaming exit code "
            + r.exitCode + (r.failureInfo == null || r.failureInfo.isEmpty() ? "" : ": " + r.failureInfo));
      }
    }
    if (rc == EXIT_OK) {
      log("results: " + work.resolve("sessions") + "/ (" + results.get(0).localParts.size() + " parts), "
          + work.resolve("markers") + "/, "
          + work.resolve("analyses") + "/ (" + results.get(2).localParts.size() + " parts), "
          + work.resolve("counters.json"));
    }
    return rc;
  }

  // The value of the first `key<TAB>value` line with this key in the job output's parts, or "".
  private static String readRecord(FileSystem fs, org.apache.hadoop.fs.Path out, String key) throws IOException {
    FileStatus[] parts = fs.globStatus(new org.apache.hadoop.fs.Path(out, "part-*"));
    if (parts == null) return "";
    for (FileStatus st : parts) {
      try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(fs.open(st.getPath()),
          java.nio.charset.StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          int tab = line.indexOf('\t');
          if (tab > 0 && line.substring(0, tab).equals(key)) return line.substring(tab + 1);
        }
      }
    }
    return "";
  }

  private JobResult runJob(Configuration conf, String name, List<String> generic, List<String> inputs,
      org.apache.hadoop.fs.Path output, String program, String map, String combine, String reduce, int reducers,
      List<String> env) throws Exception {
    JobResult r = new JobResult(name);
    r.output = output.toString();
    r.inputs.addAll(inputs);
    List<String> a = new ArrayList<>();
    // Generic options first (ToolRunner/GenericOptionsParser), then streaming options.
    d(a, "mapreduce.job.name", "cowrie-batch " + name + " " + o.runId);
    d(a, "mapreduce.job.reduces", Integer.toString(reducers));
    d(a, "stream.non.zero.exit.is.failure", "true");
    // Key = text before the first TAB of each output line (streaming's default, stated explicitly).
    d(a, "stream.num.map.output.key.fields", "1");
    d(a, "stream.num.reduce.output.key.fields", "1");
    // Input folders hold sensor sub-folders: list them recursively.
    d(a, "mapreduce.input.fileinputformat.input.dir.recursive", "true");
    // The whole JobConf is exported to the child's environment; cap each value (E2BIG otherwise).
    d(a, "stream.jobconf.truncate.limit", "20000");
    for (String kv : o.extraD) { a.add("-D"); a.add(kv); }
    a.addAll(generic);
    for (String in : inputs) { a.add("-input"); a.add(in); }
    a.add("-output"); a.add(output.toString());
    for (String kv : o.cmdenv) { a.add("-cmdenv"); a.add(kv); }
    for (String kv : env) { a.add("-cmdenv"); a.add(kv); }
    a.add("-inputformat"); a.add("org.apache.hadoop.mapred.TextInputFormat");
    a.add("-outputformat"); a.add("org.apache.hadoop.mapred.TextOutputFormat");
    a.add("-mapper"); a.add(command(program, map, o.mrArgs));
    a.add("-combiner"); a.add(command(program, combine, o.mrArgs));
    a.add("-reducer"); a.add(command(program, reduce, o.mrArgs));
    log("job '" + name + "': streaming " + String.join(" ", quoteAll(a)));

    CountingStreamJob sj = new CountingStreamJob();
    long t = System.nanoTime();
    try {
      r.exitCode = ToolRunner.run(new Configuration(conf), sj, a.toArray(new String[0]));
    } catch (Exception e) {
      r.exitCode = 5;
      r.failureInfo = e.toString();
      log("job '" + name + "' threw " + e);
    }
    r.wallSeconds = (System.nanoTime() - t) / 1e9;
    r.jobId = sj.jobId;
    r.counters = sj.counters;
    if (r.failureInfo == null) r.failureInfo = sj.failureInfo;
    r.succeeded = r.exitCode == 0 && sj.successful;
    log(String.format(Locale.ROOT, "job '%s' %s %s in %.1fs%s", name, r.jobId,
        r.succeeded ? "succeeded" : "FAILED (streaming exit " + r.exitCode + ")", r.wallSeconds,
        summary(r.counters)));
    return r;
  }

  private static void d(List<String> a, String k, String v) {
    a.add("-D");
    a.add(k + "=" + v);
  }

  private static List<String> quoteAll(List<String> a) {
    List<String> q = new ArrayList<>();
    for (String s : a) q.add(s.matches("[A-Za-z0-9_./:=@%+,#-]+") ? s : "'" + s.replace("'", "'\\''") + "'");
    return q;
  }

  private static String summary(Counters c) {
    if (c == null) return "";
    StringBuilder sb = new StringBuilder();
    long[] v = {
        get(c, "org.apache.hadoop.mapreduce.TaskCounter", "MAP_INPUT_RECORDS"),
        get(c, "org.apache.hadoop.mapreduce.TaskCounter", "MAP_OUTPUT_RECORDS"),
        get(c, "org.apache.hadoop.mapreduce.TaskCounter", "COMBINE_INPUT_RECORDS"),
        get(c, "org.apache.hadoop.mapreduce.TaskCounter", "COMBINE_OUTPUT_RECORDS"),
        get(c, "org.apache.hadoop.mapreduce.TaskCounter", "REDUCE_INPUT_RECORDS"),
        get(c, "org.apache.hadoop.mapreduce.TaskCounter", "REDUCE_OUTPUT_RECORDS")};
    sb.append(String.format(Locale.ROOT,
        ": map in %d out %d, combine in %d out %d, reduce in %d out %d", v[0], v[1], v[2], v[3], v[4], v[5]));
    Counters.Group g = c.getGroup("cowrie-batch");
    if (g != null && g.size() > 0) {
      sb.append("; cowrie-batch counters:");
      for (Counters.Counter x : g) sb.append(' ').append(x.getName()).append('=').append(x.getValue());
    }
    return sb.toString();
  }

  private static long get(Counters c, String group, String name) {
    Counters.Group g = c.getGroup(group);
    return g == null ? 0 : g.getCounter(name);
  }

  private void copyBack(FileSystem fs, org.apache.hadoop.fs.Path out, Path localDir, JobResult r) throws IOException {
    Files.createDirectories(localDir);
    // Stale parts from an earlier run with more reducers would be mixed in: clear them first.
    try (var old = Files.newDirectoryStream(localDir, "part-*")) {
      for (Path p : old) Files.delete(p);
    }
    FileStatus[] parts = fs.globStatus(new org.apache.hadoop.fs.Path(out, "part-*"));
    if (parts == null) parts = new FileStatus[0];
    for (FileStatus st : parts) {
      Path dst = localDir.resolve(st.getPath().getName());
      // useRawLocalFileSystem=true: no .crc side files.
      fs.copyToLocalFile(false, st.getPath(), new org.apache.hadoop.fs.Path(dst.toUri()), true);
      r.localParts.add(dst.toString());
    }
  }

  // ---------------------------------------------------------------- counters.json
  private void writeCounters(Path file, List<JobResult> results, String clusterDesc, String fsUri,
      org.apache.hadoop.fs.Path root, int rc) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\n");
    kv(sb, 1, "run_id", o.runId).append(",\n");
    kv(sb, 1, "cluster", clusterDesc).append(",\n");
    kv(sb, 1, "fs", fsUri).append(",\n");
    kv(sb, 1, "hdfs_root", root.toUri().getPath()).append(",\n");
    ind(sb, 1).append("\"reducers\": ").append(o.reducers).append(",\n");
    ind(sb, 1).append("\"mr_args\": ");
    strArray(sb, o.mrArgs).append(",\n");
    ind(sb, 1).append("\"succeeded\": ").append(rc == EXIT_OK).append(",\n");
    ind(sb, 1).append("\"jobs\": [");
    for (int i = 0; i < results.size(); i++) {
      JobResult r = results.get(i);
      sb.append(i == 0 ? "\n" : ",\n");
      ind(sb, 2).append("{\n");
      kv(sb, 3, "name", r.name).append(",\n");
      kv(sb, 3, "job_id", r.jobId).append(",\n");
      ind(sb, 3).append("\"succeeded\": ").append(r.succeeded).append(",\n");
      ind(sb, 3).append("\"streaming_exit_code\": ").append(r.exitCode).append(",\n");
      kv(sb, 3, "failure_info", r.failureInfo).append(",\n");
      ind(sb, 3).append("\"wall_seconds\": ").append(String.format(Locale.ROOT, "%.3f", r.wallSeconds)).append(",\n");
      ind(sb, 3).append("\"inputs\": ");
      strArray(sb, r.inputs).append(",\n");
      kv(sb, 3, "output", r.output).append(",\n");
      ind(sb, 3).append("\"local_parts\": ");
      strArray(sb, r.localParts).append(",\n");
      ind(sb, 3).append("\"counters\": {");
      if (r.counters != null) {
        boolean firstG = true;
        for (Counters.Group g : r.counters) {
          sb.append(firstG ? "\n" : ",\n");
          firstG = false;
          ind(sb, 4).append(json(g.getName())).append(": {");
          boolean firstC = true;
          for (Counters.Counter c : g) {
            sb.append(firstC ? "\n" : ",\n");
            firstC = false;
            ind(sb, 5).append(json(c.getName())).append(": ").append(c.getValue());
          }
          sb.append(firstC ? "}" : "\n" + "  ".repeat(4) + "}");
        }
        if (!firstG) sb.append('\n').append("  ".repeat(3));
      }
      sb.append("}\n");
      ind(sb, 2).append("}");
    }
    sb.append(results.isEmpty() ? "]\n" : "\n  ]\n");
    sb.append("}\n");
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write(sb.toString());
    } catch (IOException e) {
      log("WARNING: could not write " + file + ": " + e);
      return;
    }
    log("wrote " + file);
  }

  private static StringBuilder ind(StringBuilder sb, int n) { return sb.append("  ".repeat(n)); }

  private static StringBuilder kv(StringBuilder sb, int n, String k, String v) {
    return ind(sb, n).append(json(k)).append(": ").append(v == null ? "null" : json(v));
  }

  private static StringBuilder strArray(StringBuilder sb, List<String> l) {
    sb.append('[');
    for (int i = 0; i < l.size(); i++) sb.append(i == 0 ? "" : ", ").append(json(l.get(i)));
    return sb.append(']');
  }

  static String json(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        default:
          if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
          else sb.append(ch);
      }
    }
    return sb.append('"').toString();
  }
}
