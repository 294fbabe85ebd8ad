#!/bin/bash
# The ctest fixture of the Slurm tests (tests/CMakeLists.txt: slurm.cluster_start is the
# FIXTURES_SETUP and slurm.cluster_stop the FIXTURES_CLEANUP of fixture `slurm_cluster`, which
# every `slurm:` test requires), so a plain `ctest` starts and stops its own one-node cluster.
#
#   cluster/test_fixture.sh start    start.sh; exit 1 (the tests then do not run and count as
#                                    failed) when the Slurm packages are missing, when not
#                                    root, or when the node does not become idle
#   cluster/test_fixture.sh stop     stop.sh, but only for a cluster this fixture started
#
# A cluster that was already running before `start` and that this fixture did not start (someone
# ran cluster/start.sh by hand) is used and left running. A cluster this fixture started is
# marked by $RNNLAB_SLURM_DIR/fixture.owned; a run that was killed before its cleanup leaves the
# mark, so the next `stop` still shuts that cluster down.
set -uo pipefail
src=${BASH_SOURCE[0]}
case $src in */*) HERE=$(cd "${src%/*}" && pwd) ;; *) HERE=$PWD ;; esac
DIR=${RNNLAB_SLURM_DIR:-/tmp/rnnlab-slurm}
export RNNLAB_SLURM_DIR=$DIR
MARK=$DIR/fixture.owned

case "${1:-}" in
  start)
    missing=()
    for cmd in munged mungekey slurmctld slurmd sinfo sbatch scontrol squeue scancel; do
      command -v "$cmd" >/dev/null || missing+=("$cmd")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      echo "slurm fixture: FAILED: the Slurm packages are not installed (missing: ${missing[*]})." >&2
      echo "  Install them with scripts/setup.sh (or: apt-get install slurmctld slurmd slurm-client munge)." >&2
      echo "  The slurm tests cannot run without them; exclude them with: ctest -LE slurm" >&2
      exit 1
    fi
    if [ "$(id -u)" -ne 0 ]; then
      echo "slurm fixture: FAILED: the test cluster must be started as root (munged runs as user" >&2
      echo "  munge, slurmd as root). Run ctest as root, or exclude the slurm tests: ctest -LE slurm" >&2
      exit 1
    fi
    already=0
    if [ -f "$DIR/slurmctld.pid" ] && SLURM_CONF=$DIR/slurm.conf timeout 5 sinfo -h -o %T 2>/dev/null | grep -q idle; then
      already=1
    fi
    out=$(bash "$HERE/start.sh") || exit 1
    echo "$out"
    if [ "$already" = 0 ]; then
      touch "$MARK"
      echo "slurm fixture: started the test cluster in $DIR (stopped by slurm.cluster_stop)"
    elif [ -f "$MARK" ]; then
      echo "slurm fixture: reusing the test cluster a previous ctest run started in $DIR"
    else
      echo "slurm fixture: using the cluster already running in $DIR (left running afterwards)"
    fi
    ;;
  stop)
    if [ -f "$MARK" ]; then
      bash "$HERE/stop.sh"
      rm -f "$MARK"
      echo "slurm fixture: stopped the test cluster in $DIR"
    else
      echo "slurm fixture: no cluster started by this fixture in $DIR; nothing to stop"
    fi
    ;;
  *)
    echo "usage: cluster/test_fixture.sh start|stop" >&2
    exit 2
    ;;
esac
