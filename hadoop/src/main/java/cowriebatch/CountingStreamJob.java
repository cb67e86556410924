package cowriebatch;

import java.io.FileNotFoundException;
import java.io.IOException;

import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.mapred.Counters;
import org.apache.hadoop.mapred.InvalidJobConfException;
import org.apache.hadoop.mapred.JobClient;
import org.apache.hadoop.streaming.StreamJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hadoop's own StreamJob, with one change: the job's counters, id and failure info are read
 * <em>before</em> the JobClient is closed. StreamJob.submitAndMonitorJob closes it in a finally block,
 * and on YARN a closed client can no longer ask the ApplicationMaster for counters.
 *
 * <p>The body mirrors StreamJob.submitAndMonitorJob of hadoop-streaming 3.4.2 (same return codes:
 * 0 ok, 1 job failed, 2 bad input path, 3 invalid job conf, 4 output exists, 5 IOException,
 * 6 interrupted). Everything else (argument parsing, JobConf set-up, -files, combiner...) is
 * StreamJob's.
 */
final class CountingStreamJob extends StreamJob {
  private static final Logger LOG = LoggerFactory.getLogger(StreamJob.class);

  Counters counters;
  String jobId;
  boolean successful;
  String failureInfo;
  String trackingUrl;

  /** First failed task attempt and the first line of its diagnostics (YARN only; LocalJobRunner has none). */
  private String firstTaskFailure() {
    try {
      int from = 0;
      while (true) {
        org.apache.hadoop.mapred.TaskCompletionEvent[] ev = running_.getTaskCompletionEvents(from);
        if (ev == null || ev.length == 0) return null;
        for (org.apache.hadoop.mapred.TaskCompletionEvent e : ev) {
          org.apache.hadoop.mapred.TaskCompletionEvent.Status st = e.getTaskStatus();
          if (st == org.apache.hadoop.mapred.TaskCompletionEvent.Status.FAILED
              || st == org.apache.hadoop.mapred.TaskCompletionEvent.Status.TIPFAILED) {
            String[] d = running_.getTaskDiagnostics(e.getTaskAttemptId());
            String msg = d == null || d.length == 0 ? "" : d[0].strip().split("\n", 2)[0];
            return "first failed task " + e.getTaskAttemptId() + (msg.isEmpty() ? "" : ": " + msg);
          }
        }
        from += ev.length;
      }
    } catch (Exception e) {
      return null;
    }
  }

  @Override
  public int submitAndMonitorJob() throws IOException {
    if (jar_ != null && isLocalHadoop()) {
      // Same as StreamJob: -file contents are unpacked into the JVM's cwd in local mode.
      java.io.File wd = new java.io.File(".").getAbsoluteFile();
      org.apache.hadoop.util.RunJar.unJar(new java.io.File(jar_), wd,
          org.apache.hadoop.util.RunJar.MATCH_ANY);
    }
    jc_ = new JobClient(jobConf_);
    running_ = null;
    try {
      running_ = jc_.submitJob(jobConf_);
      jobId_ = running_.getID();
      jobId = jobId_.toString();
      trackingUrl = running_.getTrackingURL();
      if (background_) {
        LOG.info("Job is running in background.");
        successful = true;
        return 0;
      }
      boolean ok = jc_.monitorAndPrintJob(jobConf_, running_);
      successful = ok;
      if (!ok) {
        LOG.error("Job not successful!");
        return 1;
      }
      LOG.info("Output directory: " + output_);
    } catch (FileNotFoundException fe) {
      LOG.error("Error launching job , bad input path : " + fe.getMessage());
      failureInfo = "bad input path: " + fe.getMessage();
      return 2;
    } catch (InvalidJobConfException je) {
      LOG.error("Error launching job , Invalid job conf : " + je.getMessage());
      failureInfo = "invalid job conf: " + je.getMessage();
      return 3;
    } catch (FileAlreadyExistsException fae) {
      LOG.error("Error launching job , Output path already exists : " + fae.getMessage());
      failureInfo = "output path already exists: " + fae.getMessage();
      return 4;
    } catch (IOException ioe) {
      LOG.error("Error Launching job : " + ioe.getMessage());
      failureInfo = "IOException: " + ioe;
      return 5;
    } catch (InterruptedException ie) {
      LOG.error("Error monitoring job : " + ie.getMessage());
      failureInfo = "interrupted";
      Thread.currentThread().interrupt();
      return 6;
    } finally {
      if (running_ != null) {
        try {
          counters = running_.getCounters();
        } catch (Exception e) {
          LOG.warn("Could not read counters of " + jobId + ": " + e);
        }
        if (!successful && failureInfo == null) {
          try {
            failureInfo = running_.getFailureInfo();
          } catch (Exception e) {
            failureInfo = "(failure info unavailable: " + e + ")";
          }
          String first = firstTaskFailure();
          if (first != null) {
            failureInfo = (failureInfo == null || failureInfo.isBlank() || failureInfo.equals("NA") ? ""
                : failureInfo.strip() + "; ") + first;
          } else if (failureInfo == null || failureInfo.isBlank() || failureInfo.equals("NA")) {
            failureInfo = "a task failed (see the task error above, e.g. 'subprocess failed with code N')";
          }
        }
      }
      if (failureInfo != null) failureInfo = failureInfo.strip().replaceAll("\\s*\n\\s*", " / ");
      jc_.close();
    }
    return 0;
  }
}
