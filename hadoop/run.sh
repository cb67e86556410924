#!/usr/bin/env bash
# Build the cowrie-batch Hadoop launcher (if needed) and run it:
#   hadoop/run.sh --binary build/cowrie-batch --input /var/log/cowrie --workdir /tmp/cb-hadoop
# Everything after the script name goes to cowriebatch.HadoopRunner (see --help and hadoop/README.md).
#
# Environment: JAVA_HOME, MAVEN_REPO_LOCAL, HADOOP_RUN_REBUILD (see lib.sh), and
#   HADOOP_RUN_HEAP    JVM heap, default 2g
set -euo pipefail
lib_who=run.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hadoop_build_if_needed
exec "$java_bin" "${jvm_flags[@]}" "-Xmx${HADOOP_RUN_HEAP:-2g}" -cp "$(hadoop_classpath)" cowriebatch.HadoopRunner "$@"
