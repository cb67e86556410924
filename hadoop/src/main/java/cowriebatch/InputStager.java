package cowriebatch;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.io.IOUtils;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

/**
 * Copies local Cowrie logs (files or folders, searched recursively) into an HDFS folder, keeping
 * relative names, and fixes names so that TextInputFormat reads every file as text lines:
 *
 * <ul>
 *   <li>gzip content (1f 8b) must end in {@code .gz} (Hadoop picks the codec by file-name suffix);
 *   <li>bzip2 content (BZh) must end in {@code .bz2};
 *   <li>zstd content (28 b5 2f fd) is decompressed here (zstd-jni, falling back to the zstd CLI),
 *       because Hadoop's ZStandardCodec needs the native libhadoop; a {@code .zst}/{@code .zstd}
 *       suffix is dropped;
 *   <li>anything else whose name a Hadoop codec would claim (e.g. a plain file called
 *       {@code x.gz}) gets {@code .txt} appended so it is not fed to a decompressor.
 * </ul>
 *
 * Files and folders whose name starts with '.' or '_' are skipped with a warning: FileInputFormat
 * ignores them anyway (hidden-file filter), so uploading them would only waste space.
 */
final class InputStager {
  private final FileSystem fs;
  private final CompressionCodecFactory codecs;
  private final org.apache.hadoop.fs.Path target;
  private final java.util.concurrent.atomic.AtomicLong nFiles = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong nBytes = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong nRenamed = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong nDecompressed = new java.util.concurrent.atomic.AtomicLong();
  long skipped;

  long files() { return nFiles.get(); }
  long bytesRead() { return nBytes.get(); }
  long renamed() { return nRenamed.get(); }
  long decompressed() { return nDecompressed.get(); }

  InputStager(FileSystem fs, Configuration conf, org.apache.hadoop.fs.Path target) {
    this.fs = fs;
    this.codecs = new CompressionCodecFactory(conf);
    this.target = target;
  }

  enum Kind { GZIP, BZIP2, ZSTD, PLAIN }

  static Kind sniff(Path file) throws IOException {
    byte[] b = new byte[4];
    int n = 0;
    try (InputStream in = Files.newInputStream(file)) {
      while (n < 4) {
        int r = in.read(b, n, 4 - n);
        if (r < 0) break;
        n += r;
      }
    }
    if (n >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) return Kind.GZIP;
    if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') return Kind.BZIP2;
    if (n >= 4 && (b[0] & 0xff) == 0x28 && (b[1] & 0xff) == 0xb5 && (b[2] & 0xff) == 0x2f
        && (b[3] & 0xff) == 0xfd) return Kind.ZSTD;
    return Kind.PLAIN;
  }

  /** Lists one --input argument (a file or a folder); {@link #upload} copies what was listed. */
  void stage(Path local) throws IOException {
    local = local.toAbsolutePath().normalize();
    if (!Files.exists(local)) {
      throw new IOException("input does not exist: " + local);
    }
    Path name = local.getFileName();
    String top = name == null ? "root" : name.toString();
    if (Files.isDirectory(local)) {
      String t = uniqueTop(top);
      usedTops.add(t);
      List<Path> all = new ArrayList<>();
      try (Stream<Path> walk = Files.walk(local)) {
        walk.filter(p -> Files.isRegularFile(p)).sorted().forEach(all::add);
      }
      for (Path p : all) {
        String rel = local.relativize(p).toString().replace(File.separatorChar, '/');
        if (hiddenComponent(rel)) {
          HadoopRunner.log("skipping " + p + ": names starting with '.' or '_' are ignored by Hadoop's FileInputFormat");
          skipped++;
          continue;
        }
        pending.add(new String[] {p.toString(), t + "/" + rel});
      }
    } else {
      if (hiddenComponent(top)) {
        // A file given by name: keep it, but make the name visible to FileInputFormat.
        top = "file" + top;
      }
      String t = uniqueTop(top);
      usedTops.add(t);
      pending.add(new String[] {local.toString(), t});
    }
  }

  private final List<String[]> pending = new ArrayList<>();

  /**
   * Uploads everything staged so far with a few threads: on HDFS each small file costs a round of
   * create/addBlock/complete calls, so files are done in parallel.
   */
  void upload(int threads) throws IOException {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
      for (String[] t : pending) {
        fs.add(pool.submit(() -> {
          stageFile(Path.of(t[0]), t[1]);
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : fs) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof IOException) throw (IOException) c;
          throw new IOException(c);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted");
        }
      }
    } finally {
      pool.shutdownNow();
    }
    pending.clear();
  }

  private final List<String> usedTops = new ArrayList<>();

  /** Two --input arguments with the same base name get "-2", "-3"... appended. */
  private String uniqueTop(String top) {
    if (!usedTops.contains(top)) return top;
    for (int i = 2; ; i++) {
      String c = top + "-" + i;
      if (!usedTops.contains(c)) return c;
    }
  }

  private static boolean hiddenComponent(String rel) {
    for (String c : rel.split("/")) {
      if (c.startsWith(".") || c.startsWith("_")) return true;
    }
    return false;
  }

  private void stageFile(Path p, String rel) throws IOException {
    Kind kind = sniff(p);
    String dest = rel;
    boolean decompress = false;
    switch (kind) {
      case GZIP:
        if (!dest.endsWith(".gz")) dest = dest + ".gz";
        break;
      case BZIP2:
        if (!dest.endsWith(".bz2")) dest = dest + ".bz2";
        break;
      case ZSTD:
        decompress = true;
        if (dest.endsWith(".zst")) dest = dest.substring(0, dest.length() - 4);
        else if (dest.endsWith(".zstd")) dest = dest.substring(0, dest.length() - 5);
        if (codecs.getCodec(new org.apache.hadoop.fs.Path(dest)) != null) dest = dest + ".txt";
        break;
      case PLAIN:
      default:
        if (codecs.getCodec(new org.apache.hadoop.fs.Path(dest)) != null) dest = dest + ".txt";
        break;
    }
    org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(target, dest);
    long size = Files.readAttributes(p, BasicFileAttributes.class).size();
    if (!dest.equals(rel)) {
      nRenamed.incrementAndGet();
      HadoopRunner.log("input " + p + " (" + kind.name().toLowerCase() + ") -> " + out.toUri().getPath());
    }
    if (decompress) {
      nDecompressed.incrementAndGet();
      try (FSDataOutputStream os = fs.create(out, false)) {
        unzstd(p, os);
      }
    } else {
      try (InputStream in = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
           FSDataOutputStream os = fs.create(out, false)) {
        IOUtils.copyBytes(in, os, 1 << 16, false);
      }
    }
    nFiles.incrementAndGet();
    nBytes.addAndGet(size);
  }

  private static void unzstd(Path p, OutputStream os) throws IOException {
    Throwable jniFailure;
    try (InputStream in = new com.github.luben.zstd.ZstdInputStream(
        new BufferedInputStream(Files.newInputStream(p), 1 << 16))) {
      IOUtils.copyBytes(in, os, 1 << 16, false);
      return;
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      jniFailure = e; // native part of zstd-jni could not load (e.g. noexec tmp dir): try the CLI
    }
    HadoopRunner.log("zstd-jni unavailable (" + jniFailure + "), using the zstd command for " + p);
    Process proc = new ProcessBuilder("zstd", "-dc", "--", p.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (InputStream in = proc.getInputStream()) {
      IOUtils.copyBytes(in, os, 1 << 16, false);
    }
    try {
      int rc = proc.waitFor();
      if (rc != 0) throw new IOException("zstd -dc " + p + " exited with " + rc);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while decompressing " + p);
    }
  }
}
