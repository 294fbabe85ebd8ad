#!/bin/bash
# Stops the test cluster of cluster/start.sh: cancels every job, shuts slurmctld/slurmd down,
# waits for them, then stops munged (all by the PIDs start.sh recorded). Safe to call twice.
DIR=${RNNLAB_SLURM_DIR:-/tmp/rnnlab-slurm}
export SLURM_CONF=$DIR/slurm.conf
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [[ "$s" != Z* ]]; }
stop_pid() {  # file, signal
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  alive "$pid" && kill "-${2:-TERM}" "$pid" 2>/dev/null
  for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null
  rm -f "$1"
}
if [ -f "$SLURM_CONF" ]; then
  scancel --full --user=root >/dev/null 2>&1 || true
  timeout 10 scontrol shutdown >/dev/null 2>&1 || true
fi
stop_pid "$DIR/slurmd.launch.pid"
stop_pid "$DIR/slurmctld.launch.pid"
stop_pid "$DIR/munged.launch.pid"
exit 0
