#!/usr/bin/env bash
# A real YARN + HDFS cluster for trying `cowrie-batch hadoop --conf` and for `make test-yarn`: Apache
# Hadoop's own MiniHadoopClusterManager (the `mapred minicluster` of a Hadoop install; NameNode,
# DataNode, ResourceManager, NodeManager and JobHistoryServer in one separate JVM, jars from Maven
# Central through hadoop/pom.xml), with every address on 127.0.0.1.
#
#   hadoop/minicluster.sh run [--dir DIR] -- COMMAND [ARG...]
#       Starts the cluster, runs COMMAND with HADOOP_CONF_DIR set to a complete conf folder
#       (core-site, hdfs-site, yarn-site, mapred-site.xml, on free ports), stops the cluster (on
#       every exit path) and exits with COMMAND's status. DIR (default: a temporary folder, removed
#       at the end) keeps DIR/conf and DIR/cluster (data and logs), both replaced on each run.
#   hadoop/minicluster.sh tool fs|application|CLASS [ARG...]
#       Inside COMMAND: one of Hadoop's own tools with $HADOOP_CONF_DIR, e.g. `tool fs -ls /`,
#       `tool application -list -appStates ALL`.
#
# Isolation. The MapReduce shuffle handler (in the NodeManager) and each job's AppMaster bind all
# interfaces whatever the settings say. So `run` puts the cluster and COMMAND in a private network
# namespace (unshare: a user, network, PID and UTS namespace, loopback only; nothing is reachable
# from outside, and everything in it dies with it). Where unshare is not permitted it says so and
# runs in the host's namespace, with every address that can be set on 127.0.0.1.
#
# Environment: CB_MINICLUSTER_NO_NETNS=1 skips the namespace (to test that path);
# CB_MINICLUSTER_START_TIMEOUT (s, default 300); CB_MINICLUSTER_HEAP (default 1536m); plus lib.sh's.
set -euo pipefail
lib_who=minicluster.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
self="$hadoop_dir/minicluster.sh"

say() { echo "minicluster.sh: $*" >&2; }
die() { say "ERROR: $*"; exit 3; }
usage() { sed -n '7,15p' "$self" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---- isolation -------------------------------------------------------------------------------

# The unshare flags that work here, or nothing. Tried richest first: a PID namespace makes every
# process in it (task JVMs too) die with it, --kill-child takes it down when unshare itself is
# killed, and a UTS namespace gives the host name "localhost".
pick_unshare_flags() {
  [ "${CB_MINICLUSTER_NO_NETNS:-0}" = 1 ] && return 0
  command -v unshare >/dev/null || return 0
  local flags
  for flags in "-rn --pid --fork --kill-child=TERM --mount-proc --uts" "-rn --fork --kill-child=TERM" "-rn --fork"; do
    # shellcheck disable=SC2086
    if unshare $flags bash -c "$(declare -f loopback_up); loopback_up" >/dev/null 2>&1; then echo "$flags"; return 0; fi
  done
}

# A new network namespace has only "lo", and it is down. Without iproute2, the same ioctl from Python
# (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP).
loopback_up() {
  if command -v ip >/dev/null; then ip link set lo up; return; fi
  python3 -c 'import fcntl, socket, struct
s = socket.socket()
flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH14s", b"lo", 0, b""))[:18])[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sH14s", b"lo", flags | 1, b""))'
}

# Inside the namespace: bring up loopback, and make the host name resolve to 127.0.0.1.
set_up_namespace() {
  loopback_up
  if [ "${CB_MINICLUSTER_UTS:-0}" = 1 ]; then hostname localhost; fi
}

# ---- conf folder -------------------------------------------------------------------------------

# N free TCP ports on 127.0.0.1, one per line (all held open together, so they differ).
free_ports() {
  python3 -c 'import socket,sys
s=[socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1",0))
print("\n".join(str(x.getsockname()[1]) for x in s))' "$1"
}

# write_site FILE NAME VALUE [NAME VALUE]...: a Hadoop configuration file.
write_site() {
  local file="$1"; shift
  {
    echo '<?xml version="1.0"?>'
    echo '<!-- written by hadoop/minicluster.sh: a throw-away cluster on 127.0.0.1 -->'
    echo '<configuration>'
    while [ $# -gt 0 ]; do
      printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"
      shift 2
    done
    echo '</configuration>'
  } >"$file"
}

# Every address the daemons and clients read, on 127.0.0.1. The cluster JVM has this folder first on
# its classpath, so it reads the same files as Hadoop's tools and cowrie-batch do.
write_conf() {
  local conf="$1" cluster="$2" p
  mapfile -t p < <(free_ports 16)
  nn_port=${p[0]} nn_http=${p[1]} rm_port=${p[2]} rm_web=${p[8]} jhs_port=${p[12]}
  local h=127.0.0.1
  write_site "$conf/core-site.xml" \
    fs.defaultFS "hdfs://$h:$nn_port" hadoop.tmp.dir "$cluster/hadoop-tmp"
  write_site "$conf/hdfs-site.xml" \
    dfs.namenode.rpc-address "$h:$nn_port" dfs.namenode.http-address "$h:$nn_http" \
    dfs.namenode.https-address "$h:${p[15]}" dfs.namenode.secondary.http-address "$h:${p[14]}" \
    dfs.namenode.rpc-bind-host $h dfs.namenode.http-bind-host $h \
    dfs.datanode.address "$h:0" dfs.datanode.http.address "$h:0" dfs.datanode.ipc.address "$h:0" \
    dfs.replication 1
  write_site "$conf/yarn-site.xml" \
    yarn.resourcemanager.hostname $h yarn.resourcemanager.bind-host $h \
    yarn.resourcemanager.address "$h:$rm_port" yarn.resourcemanager.scheduler.address "$h:${p[3]}" \
    yarn.resourcemanager.resource-tracker.address "$h:${p[4]}" yarn.resourcemanager.admin.address "$h:${p[5]}" \
    yarn.resourcemanager.webapp.address "$h:$rm_web" yarn.resourcemanager.webapp.https.address "$h:${p[9]}" \
    yarn.nodemanager.hostname $h yarn.nodemanager.bind-host $h \
    yarn.nodemanager.address "$h:${p[6]}" yarn.nodemanager.localizer.address "$h:${p[7]}" \
    yarn.nodemanager.webapp.address "$h:${p[10]}" yarn.nodemanager.webapp.https.address "$h:${p[11]}" \
    yarn.timeline-service.enabled false yarn.timeline-service.hostname $h yarn.timeline-service.bind-host $h \
    yarn.minicluster.fixed.ports true \
    yarn.resourcemanager.scheduler.class org.apache.hadoop.yarn.server.resourcemanager.scheduler.fifo.FifoScheduler \
    yarn.nodemanager.resource.memory-mb 3072 yarn.nodemanager.resource.cpu-vcores 4 \
    yarn.scheduler.minimum-allocation-mb 256 \
    yarn.nodemanager.vmem-check-enabled false yarn.nodemanager.pmem-check-enabled false \
    yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage 99 \
    yarn.nodemanager.disk-health-checker.min-free-space-per-disk-mb 0
  # Task JVMs live seconds: C1 only and the serial GC start them faster on a small machine.
  local opts="-Xmx384m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true"
  write_site "$conf/mapred-site.xml" \
    mapreduce.framework.name yarn yarn.is.minicluster true mapreduce.jvm.add-opens-as-default true \
    mapreduce.jobhistory.address "$h:$jhs_port" mapreduce.jobhistory.admin.address "$h:${p[13]}" \
    mapreduce.jobhistory.webapp.address "$h:0" mapreduce.jobhistory.webapp.https.address "$h:0" \
    mapreduce.jobhistory.bind-host $h mapreduce.jobhistory.minicluster.fixed.ports true \
    yarn.app.mapreduce.am.staging-dir /cluster-staging \
    yarn.app.mapreduce.am.resource.mb 512 yarn.app.mapreduce.am.command-opts "$opts" \
    mapreduce.map.memory.mb 512 mapreduce.map.java.opts "$opts" \
    mapreduce.reduce.memory.mb 512 mapreduce.reduce.java.opts "$opts"
}

# ---- the cluster JVM -------------------------------------------------------------------------------

start_cluster() {
  local conf="$1" cluster="$2"
  mkdir -p "$cluster/data" "$cluster/logs" "$cluster/java-tmp"
  # MiniYARNCluster keeps its NodeManager folders under the cwd ("target/..."), hence the cd.
  ( cd "$cluster" && exec "$java_bin" "${jvm_flags[@]}" "-Xmx${CB_MINICLUSTER_HEAP:-1536m}" \
      "-Dtest.build.data=$cluster/data" "-Dhadoop.log.dir=$cluster/logs" "-Djava.io.tmpdir=$cluster/java-tmp" \
      -cp "$conf:$(hadoop_classpath)" org.apache.hadoop.mapreduce.MiniHadoopClusterManager \
      -format -datanodes 1 -nodemanagers 1 -nnport "$nn_port" -nnhttpport "$nn_http" \
      -rmport "$rm_port" -jhsport "$jhs_port" \
      -writeConfig "$cluster/effective-conf.xml" -writeDetails "$cluster/details.json" \
      >"$cluster/minicluster.log" 2>&1 ) &
  cluster_pid=$!
}

# The manager writes -writeDetails only once HDFS and YARN (with its NodeManager) are up.
wait_until_up() {
  local cluster="$1" limit="${CB_MINICLUSTER_START_TIMEOUT:-300}" t0=$SECONDS
  until [ -s "$cluster/details.json" ]; do
    if ! kill -0 "$cluster_pid" 2>/dev/null; then
      tail -n 40 "$cluster/minicluster.log" >&2
      die "the cluster JVM exited during start-up (log above: $cluster/minicluster.log)"
    fi
    [ $((SECONDS - t0)) -lt "$limit" ] || { tail -n 40 "$cluster/minicluster.log" >&2; die "cluster not up after ${limit}s"; }
    sleep 1
  done
  say "cluster up in $((SECONDS - t0))s: HDFS hdfs://127.0.0.1:$nn_port, ResourceManager 127.0.0.1:$rm_port" \
      "(web 127.0.0.1:$rm_web), JobHistoryServer 127.0.0.1:$jhs_port"
}

# Stop the cluster JVM, then any YARN container still running in the cluster's folders (containers
# are started in sessions of their own, so they are found by working folder, not by process group).
stop_cluster() {
  local cluster="$1" i pid
  if [ -n "${cluster_pid:-}" ] && kill -0 "$cluster_pid" 2>/dev/null; then
    kill -TERM "$cluster_pid" 2>/dev/null || true
    for i in $(seq 1 30); do kill -0 "$cluster_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$cluster_pid" 2>/dev/null || true
    wait "$cluster_pid" 2>/dev/null || true
  fi
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in "$cluster"/*) kill -KILL "$pid" 2>/dev/null || true ;; esac
  done
  say "cluster stopped"
}

stop_command() {
  if [ -n "${command_pid:-}" ]; then kill -TERM "$command_pid" 2>/dev/null || true; fi
}

# ---- commands -------------------------------------------------------------------------------

# Runs in the namespace (or, as the fallback, in the host's): cluster up, COMMAND, cluster down.
inside() {
  local dir="$1"; shift
  [ "${CB_MINICLUSTER_NETNS:-0}" = 1 ] && set_up_namespace
  rm -rf "$dir/conf" "$dir/cluster"
  mkdir -p "$dir/conf" "$dir/cluster"
  write_conf "$dir/conf" "$dir/cluster"
  cluster_dir="$dir/cluster"  # global: the EXIT trap runs after this function has returned
  trap 'stop_command; stop_cluster "$cluster_dir"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  start_cluster "$dir/conf" "$dir/cluster"
  wait_until_up "$dir/cluster"
  export HADOOP_CONF_DIR="$dir/conf"
  local rc=0
  # In the background with `wait`, so that a TERM (unshare --kill-child) or INT is handled at once:
  # bash runs traps only after a foreground command ends. Explicit stdin keeps `-- bash` usable.
  "$@" <&0 &
  command_pid=$!
  wait "$command_pid" || rc=$?
  command_pid=""
  [ "$rc" = 0 ] || say "the command failed (exit $rc); cluster log: $dir/cluster/minicluster.log; YARN container logs under $dir/cluster/data/"
  return "$rc"
}

run() {
  local dir="" made_dir=0
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    case "$1" in --dir) dir="$2"; shift 2 ;; *) usage ;; esac
  done
  [ "${1:-}" = -- ] && [ $# -ge 2 ] || usage
  shift
  command -v python3 >/dev/null || die "python3 is needed (to pick free ports)"
  hadoop_build_if_needed  # here, before the namespace: a cold ~/.m2 needs Maven Central
  if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/cb-minicluster.XXXXXX)"; made_dir=1; fi
  mkdir -p "$dir" && dir="$(cd "$dir" && pwd)"
  # shellcheck disable=SC2064  # expand now: the folder this run made
  [ "$made_dir" = 1 ] && trap "rm -rf '$dir'" EXIT
  export JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
  local flags rc=0
  flags="$(pick_unshare_flags)"
  if [ -n "$flags" ]; then
    say "isolation: a private network namespace (unshare $flags); nothing listens outside it"
    [[ $flags == *--uts* ]] && export CB_MINICLUSTER_UTS=1
    # shellcheck disable=SC2086
    CB_MINICLUSTER_NETNS=1 unshare $flags "$self" __inside "$dir" "$@" || rc=$?
  else
    say "WARNING: no private network namespace (unshare -rn is not permitted here, or" \
        "CB_MINICLUSTER_NO_NETNS=1): running in the host's. Every address Hadoop lets us set is 127.0.0.1," \
        "but while it runs the MapReduce shuffle handler and each job's AppMaster listen on all interfaces."
    ( inside "$dir" "$@" ) || rc=$?
  fi
  return "$rc"
}

tool() {
  [ $# -ge 1 ] || usage
  [ -n "${HADOOP_CONF_DIR:-}" ] || die "HADOOP_CONF_DIR is not set: use 'tool' inside 'minicluster.sh run -- ...'"
  local class="$1"; shift
  case "$class" in
    fs) class=org.apache.hadoop.fs.FsShell ;;
    application) class=org.apache.hadoop.yarn.client.cli.ApplicationCLI; set -- application "$@" ;;
  esac
  exec "$java_bin" "${jvm_flags[@]}" -Xmx512m -cp "$HADOOP_CONF_DIR:$(hadoop_classpath)" "$class" "$@"
}

case "${1:-}" in
  run) shift; run "$@" ;;
  tool) shift; tool "$@" ;;
  __inside) shift; inside "$@" ;;
  *) usage ;;
esac
