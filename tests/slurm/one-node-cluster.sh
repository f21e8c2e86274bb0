# A private one-node Slurm cluster in a folder, for tests: its own munge daemon (key, socket),
# its own slurm.conf (loopback, non-default ports, no accounting), controller and node daemon,
# every file under the folder. Nothing of the machine's Slurm or munge set-up (/etc/slurm,
# /etc/munge, services) is read or touched.
#
# shellcheck shell=bash
# Sourced, not run:
#   source tests/slurm/one-node-cluster.sh
#   cluster_start DIR     # starts munged, slurmctld, slurmd; waits for the node; exports SLURM_CONF
#   cluster_stop DIR      # cancels the jobs, stops every process it started; safe to call twice
# Needs root (slurmd starts jobs as their owner) and Debian's slurmctld, slurmd, slurm-client
# and munge packages; cluster_missing prints what is missing, if anything.
#
# Every process it starts carries BERTSCOPE_SLURM_CLUSTER=DIR in its environment (the daemons,
# and the jobs, which are submitted with it), so cluster_stop finds them all, the jobs' own
# children included, and nothing else.

cluster_missing() {
  local tool missing=()
  for tool in munged slurmctld slurmd sbatch squeue scontrol scancel; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "not installed: ${missing[*]} (scripts/setup-debian.sh slurm installs them)"
  elif [ "$(id -u)" -ne 0 ]; then
    echo "needs root: slurmd starts each job as the user who submitted it"
  fi
}

# A TCP port on loopback that nothing listens on (bash's /dev/tcp connects, or fails).
cluster_free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

cluster_write_conf() {
  local dir="$1" ctld_port slurmd_port
  ctld_port=$(cluster_free_port)
  slurmd_port=$(cluster_free_port)
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(cluster_free_port); done
  # slurmctld refuses to run unless SlurmctldHost names this machine; the address after it
  # keeps every connection on loopback; CommunicationParameters binds the daemons to it.
  # The node is this machine's CPUs and memory.
  cat >"$dir/slurm.conf" <<EOF
ClusterName=bertscope-test
SlurmctldHost=$(uname -n)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
MailProg=/bin/true
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
NodeName=bertscope-node NodeAddr=127.0.0.1 NodeHostname=$(uname -n) CPUs=$(nproc) RealMemory=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 9 / 10240)) State=UNKNOWN
PartitionName=test Nodes=bertscope-node Default=YES MaxTime=INFINITE State=UP
EOF
  # slurmd 22.05 loads a cgroup plugin even when nothing uses cgroups (linuxproc, task/none)
  # and fails where no cgroup file system is mounted (a chroot, some containers): point it at
  # an empty folder of its own, so it needs none and leaves the machine's alone.
  mkdir -p "$dir/cgroup"
  printf 'CgroupPlugin=cgroup/v1\nCgroupMountpoint=%s\n' "$dir/cgroup" >"$dir/cgroup.conf"
}

# Waits up to $2 seconds for the command "$3..." to succeed.
cluster_wait_for() {
  local what="$1" seconds="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge "$deadline" ]; then
      echo "one-node cluster: $what did not happen within $seconds s" >&2
      return 1
    fi
    sleep 0.2
  done
}

cluster_node_idle() {
  scontrol show node bertscope-node 2>/dev/null | grep -q 'State=IDLE'
}

cluster_start() {
  local dir="$1"
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 700 "$dir" "$dir/munge"
  # A fresh key for this cluster only. munged refuses to run as root unless forced.
  head -c 1024 /dev/urandom >"$dir/munge/munge.key"
  chmod 600 "$dir/munge/munge.key"
  env BERTSCOPE_SLURM_CLUSTER="$dir" munged --force \
    --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munged.seed" || { cluster_show_logs "$dir"; return 1; }
  cluster_wait_for "munged's socket" 10 test -S "$dir/munge/munge.socket" || { cluster_show_logs "$dir"; return 1; }

  cluster_write_conf "$dir"
  export SLURM_CONF="$dir/slurm.conf"
  # Without -D both daemonize; -N names the node whatever this machine is called.
  env BERTSCOPE_SLURM_CLUSTER="$dir" slurmctld -f "$SLURM_CONF" -i || { cluster_show_logs "$dir"; return 1; }
  env BERTSCOPE_SLURM_CLUSTER="$dir" slurmd -f "$SLURM_CONF" -N bertscope-node || { cluster_show_logs "$dir"; return 1; }
  cluster_wait_for "the node becoming idle" 30 cluster_node_idle || { cluster_show_logs "$dir"; return 1; }
}

cluster_show_logs() {
  local log
  for log in "$1"/log/*.log; do
    [ -f "$log" ] || continue
    echo "---- last lines of $log" >&2
    tail -n 20 "$log" >&2
  done
}

# The ids of the processes that carry this cluster's marker in their environment (one grep
# over every /proc/PID/environ, whose entries end in NUL bytes: -z).
cluster_processes() {
  local file
  grep -lzxF "BERTSCOPE_SLURM_CLUSTER=$1" /proc/[0-9]*/environ 2>/dev/null | while IFS= read -r file; do
    file="${file#/proc/}"
    echo "${file%/environ}"
  done
}

cluster_stop() {
  local dir="$1" signal pids deadline
  trap '' INT TERM HUP  # a second signal must not cut the clean-up short
  # Every step may fail (a daemon that never started, one that died): none stops the rest,
  # whether or not the caller runs under set -e.
  if [ -f "$dir/slurm.conf" ]; then
    SLURM_CONF="$dir/slurm.conf" timeout 5 scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  for signal in TERM KILL; do
    mapfile -t pids < <(cluster_processes "$dir")
    [ ${#pids[@]} -eq 0 ] && return 0
    kill -s "$signal" "${pids[@]}" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while [ -n "$(cluster_processes "$dir")" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  done
  return 0
}
