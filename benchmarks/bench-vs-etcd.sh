#!/usr/bin/env bash
# Side-by-side load run: three Cohort member JVMs on loopback against a three-member etcd 3.4 cluster on loopback,
# same workloads in the same run (points interleaved), fsync on for both. Writes
# benchmarks/results/vs-etcd-<date>.{md,jsonl,png}.
#
# Environment: SECONDS_PER_POINT (5), WARMUP_SECONDS (1), KEYS (10000), VALUE_BYTES (256), WATCHERS (16),
# POINTS (put:1,put:64,put:256,lrange:64,lrange:256,srange:64,srange:256,cas:64,watch:64), SYSTEMS (cohort,etcd),
# TICK_MS (unset: Cohort's default Raft tick; N: every Cohort member ticks every N ms),
# SNAPSHOT_INTERVAL (unset: Cohort's default snapshot interval; N entries, 0 = no snapshots; every member),
# CALLBACK_THREADS (unset: the node's default callback executor; N: a fixed pool of N on the driving member),
# TCP_SENDER_WRITES (1: a Cohort send writes its frame on the sending thread when the link is idle; 0: every frame
# through the peer's writer thread, as before),
# PORT_OFFSET (0: Cohort members on 7401-7403, etcd on 23791-23793 (client) and 23801-23803 (peer); N adds N to
# every port; use a multiple of 100, so two runs on one machine do not collide),
# PREWARM_SECONDS (20: S seconds of unrecorded load per system before the first point, the point list's workloads at
# their largest in-flight counts, the same for both systems, so the points measure steady state and not the JVMs' JIT
# compiling (C2 took ~30% of the CPU in the first seconds of a cold put point); 0: none, as before 2026-11-22 05:00),
# JAR (benchmarks/target/benchmarks.jar: the jar every JVM runs; an A/B run points it at a saved copy), SKIP_BUILD=1 (no
# Maven build first),
# ETCD_CLIENTS (1: jetcd clients, one gRPC channel each, requests spread over them), JFR=1 to record JFR profiles of the three Cohort JVMs (member 1 drives the load) into the results folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SECONDS_PER_POINT=${SECONDS_PER_POINT:-5}
WARMUP_SECONDS=${WARMUP_SECONDS:-1}
KEYS=${KEYS:-10000}
VALUE_BYTES=${VALUE_BYTES:-256}
WATCHERS=${WATCHERS:-16}
POINTS=${POINTS:-put:1,put:64,put:256,lrange:64,lrange:256,srange:64,srange:256,cas:64,watch:64}
SYSTEMS=${SYSTEMS:-cohort,etcd}
ETCD_CLIENTS=${ETCD_CLIENTS:-1}
CALLBACK_THREADS=${CALLBACK_THREADS:-}
PORT_OFFSET=${PORT_OFFSET:-0}
etcd_client_port() { echo $((23790 + $1 + PORT_OFFSET)); }
etcd_peer_port() { echo $((23800 + $1 + PORT_OFFSET)); }
EXTRA_ARGS=()
COHORT_JVM_OPTS=()
if [ -n "${TICK_MS:-}" ]; then COHORT_JVM_OPTS+=("-Dbench.tickMs=$TICK_MS"); fi
if [ -n "${SNAPSHOT_INTERVAL:-}" ]; then COHORT_JVM_OPTS+=("-Dbench.snapshotIntervalEntries=$SNAPSHOT_INTERVAL"); fi
if [ "${TCP_SENDER_WRITES:-1}" = 0 ]; then COHORT_JVM_OPTS+=("-Dbench.tcpSenderWrites=false"); fi
if [ -n "$CALLBACK_THREADS" ]; then EXTRA_ARGS+=("--callback-threads=$CALLBACK_THREADS"); fi
PREWARM_SECONDS=${PREWARM_SECONDS:-20}
if [ "$PREWARM_SECONDS" != 0 ]; then EXTRA_ARGS+=("--prewarm=$PREWARM_SECONDS"); fi
FLAGS="@$ROOT/mvcc/src/main/resources/META-INF/cohort/jvm-flags/jdk17.flags"
if java -version 2>&1 | grep -E 'version "(2[5-9]|[3-9][0-9])' >/dev/null; then
  FLAGS="@$ROOT/mvcc/src/main/resources/META-INF/cohort/jvm-flags/jdk25.flags"
fi
JAR=${JAR:-"$ROOT/benchmarks/target/benchmarks.jar"}
STAMP=$(date -u +%Y-%m-%d-%H%M)
RESULTS="$ROOT/benchmarks/results"
mkdir -p "$RESULTS"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "== build"
  ./mvnw -B -ntp -q -pl benchmarks -am -DskipTests package
fi

if ! command -v etcd >/dev/null 2>&1; then
  echo "== installing etcd-server (Debian's etcd 3.4)"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q etcd-server
fi
ETCD_VERSION=$(etcd --version | awk 'NR == 1')  # awk reads to the end: no SIGPIPE under pipefail

WORK=$(mktemp -d /tmp/bench-vs-etcd.XXXXXX)
PIDS=()
cleanup() {
  # etcd's own WAL fsync latency histogram, to set beside Cohort's (JFR jdk.FileForce with JFR=1).
  for i in 1 2 3; do
    curl -fs "http://127.0.0.1:$(etcd_client_port $i)/metrics" 2>/dev/null | grep -E '^etcd_disk_wal_fsync_duration_seconds' \
      > "$RESULTS/vs-etcd-$STAMP-etcd-m$i-wal-fsync.txt" || true
  done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== etcd: 3 members on loopback (data and logs in $WORK)"
CLUSTER="m1=http://127.0.0.1:$(etcd_peer_port 1),m2=http://127.0.0.1:$(etcd_peer_port 2),m3=http://127.0.0.1:$(etcd_peer_port 3)"
ENDPOINTS="http://127.0.0.1:$(etcd_client_port 1),http://127.0.0.1:$(etcd_client_port 2),http://127.0.0.1:$(etcd_client_port 3)"
for i in 1 2 3; do
  etcd --name "m$i" --data-dir "$WORK/etcd-m$i" \
       --listen-client-urls "http://127.0.0.1:$(etcd_client_port $i)" --advertise-client-urls "http://127.0.0.1:$(etcd_client_port $i)" \
       --listen-peer-urls "http://127.0.0.1:$(etcd_peer_port $i)" --initial-advertise-peer-urls "http://127.0.0.1:$(etcd_peer_port $i)" \
       --initial-cluster "$CLUSTER" --initial-cluster-token bench-vs-etcd --initial-cluster-state new \
       > "$WORK/etcd-m$i.log" 2>&1 &
  PIDS+=($!)
done

# JFR settings: the profile ones, with every fsync recorded (jdk.FileForce threshold 0 instead of 10 ms) and a Java
# execution sample every 1 ms instead of 10 (enough samples of one thread in a 15 s point).
JFC="$WORK/profile-all-fsyncs.jfc"
sed -e "s/control=\"file-threshold\">10 ms</control=\"file-threshold\">0 ms</" -e "s/method-sampling-java-interval\">10 ms/method-sampling-java-interval\">1 ms/" \
  "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc" > "$JFC"
echo "== cohort: members 2 and 3 in their own JVMs (member 1 is the load-driving JVM)"
MEMBERS="1=127.0.0.1:$((7401 + PORT_OFFSET)),2=127.0.0.1:$((7402 + PORT_OFFSET)),3=127.0.0.1:$((7403 + PORT_OFFSET))"
for i in 2 3; do
  MEMBER_JFR=()
  if [ "${JFR:-0}" = 1 ]; then
    MEMBER_JFR=("-XX:StartFlightRecording=filename=$RESULTS/vs-etcd-$STAMP-member-$i.jfr,settings=$JFC,dumponexit=true")
  fi
  java "$FLAGS" -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn "${MEMBER_JFR[@]}" "${COHORT_JVM_OPTS[@]}" -cp "$JAR" \
       io.cohort.benchmarks.load.CohortMemberMain "$i" "$WORK/cohort-$i" "$MEMBERS" 1 > "$WORK/cohort-$i.log" 2>&1 &
  PIDS+=($!)
done

for i in 1 2 3; do
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$(etcd_client_port $i)/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fs "http://127.0.0.1:$(etcd_client_port $i)/health" >/dev/null || { echo "etcd m$i did not become healthy"; cat "$WORK/etcd-m$i.log"; exit 1; }
done

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
cat > "$WORK/header.md" <<HDR
- Command: \`$( [ "${JFR:-0}" = 1 ] && echo "JFR=1 " )SECONDS_PER_POINT=$SECONDS_PER_POINT WARMUP_SECONDS=$WARMUP_SECONDS KEYS=$KEYS VALUE_BYTES=$VALUE_BYTES WATCHERS=$WATCHERS POINTS=$POINTS SYSTEMS=$SYSTEMS ETCD_CLIENTS=$ETCD_CLIENTS${CALLBACK_THREADS:+ CALLBACK_THREADS=$CALLBACK_THREADS}${TICK_MS:+ TICK_MS=$TICK_MS}${SNAPSHOT_INTERVAL:+ SNAPSHOT_INTERVAL=$SNAPSHOT_INTERVAL} PREWARM_SECONDS=$PREWARM_SECONDS${TCP_SENDER_WRITES:+ TCP_SENDER_WRITES=$TCP_SENDER_WRITES} benchmarks/bench-vs-etcd.sh\`
- Machine: $(nproc) CPUs ($CPU), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, data dirs under /tmp ($(df -T /tmp | awk 'NR==2 {print $2}')); $ETCD_VERSION (Debian etcd-server), default settings (fsync on); Cohort defaults (fsync on per batch).
- Both clusters run on this one machine: 3 etcd processes, 3 Cohort JVMs (one also runs the load generator and the jetcd client).
HDR

JFR_OPTS=()
if [ "${JFR:-0}" = 1 ]; then
  JFR_OPTS=("-XX:StartFlightRecording=filename=$RESULTS/vs-etcd-$STAMP.jfr,settings=$JFC,dumponexit=true")
fi

echo "== load (results in $RESULTS/vs-etcd-$STAMP.*)"
java "$FLAGS" -Xmx2g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn "${JFR_OPTS[@]}" "${COHORT_JVM_OPTS[@]}" -cp "$JAR" \
     io.cohort.benchmarks.load.VsEtcdMain \
     --members="$MEMBERS" --data-dir="$WORK/cohort-1" --etcd-endpoints="$ENDPOINTS" --systems="$SYSTEMS" --etcd-clients="$ETCD_CLIENTS" \
     --points="$POINTS" --seconds="$SECONDS_PER_POINT" --warmup="$WARMUP_SECONDS" --keys="$KEYS" \
     --value-bytes="$VALUE_BYTES" --watchers="$WATCHERS" --header="$WORK/header.md" \
     "${EXTRA_ARGS[@]}" --out="$RESULTS/vs-etcd-$STAMP.jsonl" --report="$RESULTS/vs-etcd-$STAMP.md" --chart="$RESULTS/vs-etcd-$STAMP.png"
echo "== done: $RESULTS/vs-etcd-$STAMP.md"
