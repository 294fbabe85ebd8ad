#!/bin/bash
# Starts a one-node Slurm cluster on 127.0.0.1 for the tests (root, no systemd needed):
# munged, slurmctld and slurmd, all state/logs under $RNNLAB_SLURM_DIR (default
# /tmp/rnnlab-slurm). Needs the Debian packages slurmctld slurmd slurm-client munge.
# Prints `export SLURM_CONF=...` on success; exit 1 with the daemon logs if the node does not
# become idle within 30 s. Stop with cluster/stop.sh. Ports 6817/6818: one cluster per machine.
set -euo pipefail
DIR=${RNNLAB_SLURM_DIR:-/tmp/rnnlab-slurm}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SLURM_CONF=$DIR/slurm.conf

show_logs() {
  for f in "$DIR"/munge/munged.log "$DIR"/slurmctld.log "$DIR"/slurmd.log "$DIR"/*.stderr; do
    [ -f "$f" ] && { echo "==== $f"; tail -n 60 "$f"; }
  done >&2
}
fail() { echo "cluster/start.sh: $*" >&2; show_logs; exit 1; }

for cmd in munged mungekey slurmctld slurmd sinfo sbatch; do
  command -v "$cmd" >/dev/null || fail "'$cmd' not found (apt-get install slurmctld slurmd slurm-client munge)"
done
if [ -f "$DIR/slurmctld.pid" ] && sinfo -h -o %T 2>/dev/null | grep -q idle; then
  echo "cluster/start.sh: already running" >&2
  echo "export SLURM_CONF=$SLURM_CONF"
  exit 0
fi

rm -rf "$DIR/state" "$DIR/spool"
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge"
chmod 0755 "$DIR"
chown munge:munge "$DIR/munge" && chmod 0755 "$DIR/munge"

# munge: own key and socket under $DIR/munge, run as user munge.
[ -f "$DIR/munge/munge.key" ] || mungekey --create --keyfile="$DIR/munge/munge.key"
chown munge:munge "$DIR/munge/munge.key" && chmod 0400 "$DIR/munge/munge.key"
setpriv --reuid=munge --regid=munge --clear-groups \
  munged -F --socket="$DIR/munge/munge.socket" --key-file="$DIR/munge/munge.key" \
  --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
  --seed-file="$DIR/munge/munged.seed" --force >"$DIR/munged.stderr" 2>&1 &
echo $! >"$DIR/munged.launch.pid"
for _ in $(seq 50); do
  munge -S "$DIR/munge/munge.socket" -n 2>/dev/null | unmunge -S "$DIR/munge/munge.socket" >/dev/null 2>&1 && break
  sleep 0.1
done
munge -S "$DIR/munge/munge.socket" -n | unmunge -S "$DIR/munge/munge.socket" >/dev/null || fail "munged does not answer"

NODE=$(hostname -s)
CPUS=$(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' | head -1)
MEM=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)
MEM=$((MEM * 9 / 10))
sed -e "s|@DIR@|$DIR|g" -e "s|@NODE@|$NODE|g" -e "s|@CPUS@|$CPUS|g" -e "s|@MEM@|$MEM|g" \
  "$HERE/slurm.conf.in" >"$SLURM_CONF"

setsid slurmctld -D -i -f "$SLURM_CONF" >"$DIR/slurmctld.stderr" 2>&1 &
echo $! >"$DIR/slurmctld.launch.pid"
setsid slurmd -D -f "$SLURM_CONF" >"$DIR/slurmd.stderr" 2>&1 &
echo $! >"$DIR/slurmd.launch.pid"

for _ in $(seq 300); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.1
done
[ "$state" = idle ] || fail "node not idle after 30 s (state '${state:-none}')"
echo "cluster/start.sh: node $NODE idle ($CPUS CPUs, ${MEM} MB), SLURM_CONF=$SLURM_CONF" >&2
echo "export SLURM_CONF=$SLURM_CONF"
