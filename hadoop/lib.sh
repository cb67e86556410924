# Shared by hadoop/run.sh and hadoop/minicluster.sh (sourced, not run): find a JDK >= 17, build the
# launcher jar and its classpath (target/cp.txt) with Maven when needed, and the JVM flags Hadoop
# needs on JDK 17. Defines: hadoop_dir, launcher_jar, cp_file, java_bin, jvm_flags, hadoop_classpath,
# and the function hadoop_build_if_needed. Messages are prefixed with $lib_who (the calling script).
#
# Environment:
#   JAVA_HOME             JDK >= 17 (default: java on PATH)
#   MAVEN_REPO_LOCAL      Maven local repository (default ~/.m2/repository); reused between runs
#   HADOOP_RUN_REBUILD=1  force the Maven build even if target/ looks up to date
#
# First build on a cold ~/.m2 downloads ~175 MB / ~300 jars (Hadoop 3.5.0 + hadoop-streaming 3.4.2 + deps + the
# Maven plugins) from Maven Central only, ~1.5 min here; later builds are offline (-o), ~6-10 s, and are
# skipped entirely while target/ is newer than pom.xml and src/main.
hadoop_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
launcher_jar="$hadoop_dir/target/cowrie-batch-hadoop-0.1.0.jar"
cp_file="$hadoop_dir/target/cp.txt"
lib_who="${lib_who:-hadoop}"

java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
command -v "$java_bin" >/dev/null || { echo "$lib_who: java not found (install a JDK >= 17 or set JAVA_HOME)" >&2; exit 3; }
java_version="$("$java_bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if [ "${java_version%%.*}" -lt 17 ] 2>/dev/null; then echo "$lib_who: need Java >= 17, found $java_version" >&2; exit 3; fi

hadoop_up_to_date() {
  [ -s "$launcher_jar" ] && [ -s "$cp_file" ] || return 1
  [ -z "$(find "$hadoop_dir/pom.xml" "$hadoop_dir/src/main" -newer "$launcher_jar" -print -quit)" ] || return 1
  # every jar on the classpath must still be in the local repository
  local IFS=:
  for f in $(cat "$cp_file"); do [ -e "$f" ] || return 1; done
}

hadoop_build() {
  command -v mvn >/dev/null || { echo "$lib_who: mvn not found (apt-get install maven)" >&2; exit 3; }
  local mvn_args=(-B -q -f "$hadoop_dir/pom.xml" -DskipTests package dependency:build-classpath
                  "-Dmdep.outputFile=$cp_file" -Dmdep.includeScope=runtime)
  [ -n "${MAVEN_REPO_LOCAL:-}" ] && mvn_args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
  local t0=$SECONDS log="$hadoop_dir/target/mvn-build.log"
  mkdir -p "$hadoop_dir/target"
  if mvn -o "${mvn_args[@]}" >"$log" 2>&1; then
    echo "$lib_who: built offline in $((SECONDS - t0))s" >&2
    return
  fi
  echo "$lib_who: offline build impossible (first run or new dependencies): resolving from Maven Central" \
       "(~175 MB on a cold repository, 1-2 minutes)..." >&2
  t0=$SECONDS
  if ! mvn "${mvn_args[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "$lib_who: Maven build failed (log above, also in $log)" >&2
    exit 3
  fi
  echo "$lib_who: built online in $((SECONDS - t0))s" >&2
}

hadoop_build_if_needed() {
  if [ "${HADOOP_RUN_REBUILD:-0}" = 1 ] || ! hadoop_up_to_date; then hadoop_build; fi
}

# The launcher jar (it carries cowrie-batch-log4j.properties) and every Hadoop jar. Call after the build.
hadoop_classpath() { echo "$launcher_jar:$(cat "$cp_file")"; }

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
  # the launcher's quiet log4j config; the test jars on the classpath carry their own log4j.properties
  -Dlog4j.configuration=cowrie-batch-log4j.properties
)
