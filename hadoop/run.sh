#!/usr/bin/env bash
# Build the cowrie-batch Hadoop launcher (if needed) and run it:
#   hadoop/run.sh --binary build/cowrie-batch --input /var/log/cowrie --workdir /tmp/cb-hadoop
# Everything after the script name goes to cowriebatch.HadoopRunner (see --help and hadoop/README.md).
#
# Environment:
#   JAVA_HOME          JDK >= 17 (default: java on PATH)
#   HADOOP_RUN_HEAP    JVM heap, default 2g
#   MAVEN_REPO_LOCAL   Maven local repository (default ~/.m2/repository); reused between runs
#   HADOOP_RUN_REBUILD=1  force the Maven build even if target/ looks up to date
#
# First build on a cold ~/.m2 downloads ~175 MB / ~300 jars (Hadoop 3.5.0 + hadoop-streaming 3.4.2 + deps + the
# Maven plugins) from Maven Central only, ~1.5 min here; later builds are offline (-o), ~6-10 s, and are
# skipped entirely while target/ is newer than pom.xml and src/main.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/target/cowrie-batch-hadoop-0.1.0.jar"
cp_file="$here/target/cp.txt"

java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
command -v "$java_bin" >/dev/null || { echo "run.sh: java not found (install a JDK >= 17 or set JAVA_HOME)" >&2; exit 3; }
jv="$("$java_bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if [ "${jv%%.*}" -lt 17 ] 2>/dev/null; then echo "run.sh: need Java >= 17, found $jv" >&2; exit 3; fi

up_to_date() {
  [ -s "$jar" ] && [ -s "$cp_file" ] || return 1
  [ -z "$(find "$here/pom.xml" "$here/src/main" -newer "$jar" -print -quit)" ] || return 1
  # every jar on the classpath must still be in the local repository
  local IFS=:
  for f in $(cat "$cp_file"); do [ -e "$f" ] || return 1; done
}

build() {
  command -v mvn >/dev/null || { echo "run.sh: mvn not found (apt-get install maven)" >&2; exit 3; }
  local mvn_args=(-B -q -f "$here/pom.xml" -DskipTests package dependency:build-classpath
                  "-Dmdep.outputFile=$cp_file" -Dmdep.includeScope=runtime)
  [ -n "${MAVEN_REPO_LOCAL:-}" ] && mvn_args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
  local t0=$SECONDS log="$here/target/mvn-build.log"
  mkdir -p "$here/target"
  if mvn -o "${mvn_args[@]}" >"$log" 2>&1; then
    echo "run.sh: built offline in $((SECONDS - t0))s" >&2
    return
  fi
  echo "run.sh: offline build impossible (first run or new dependencies): resolving from Maven Central" \
       "(~175 MB on a cold repository, 1-2 minutes)..." >&2
  t0=$SECONDS
  if ! mvn "${mvn_args[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "run.sh: Maven build failed (log above, also in $log)" >&2
    exit 3
  fi
  echo "run.sh: built online in $((SECONDS - t0))s" >&2
}

if [ "${HADOOP_RUN_REBUILD:-0}" = 1 ] || ! up_to_date; then build; fi

# JDK 17 strong encapsulation: the opens/exports Hadoop needs (hadoop-notes §2).
jvm_flags=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.math=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.zip=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.security.util=ALL-UNNAMED
  --add-opens=java.base/sun.security.x509=ALL-UNNAMED
  --add-exports=java.base/sun.net.dns=ALL-UNNAMED
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  -Djava.net.preferIPv4Stack=true
)
exec "$java_bin" "${jvm_flags[@]}" "-Xmx${HADOOP_RUN_HEAP:-2g}" \
  -Dlog4j.configuration=cowrie-batch-log4j.properties \
  -cp "$jar:$(cat "$cp_file")" cowriebatch.HadoopRunner "$@"
