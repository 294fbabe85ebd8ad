#!/bin/bash
# ctest slurm.fixture_without_packages: where the Slurm packages are missing, the fixture's
# start step must FAIL and say so (CI must never go green without them). Simulated by running
# cluster/test_fixture.sh with an empty PATH (no munged, slurmctld, sinfo, ...), against a
# scratch RNNLAB_SLURM_DIR so no real cluster is touched.
here=${BASH_SOURCE[0]%/*}
out=$(env -i PATH=/nonexistent RNNLAB_SLURM_DIR=/tmp/rnnlab-slurm-absent-$$ /bin/bash "$here/../cluster/test_fixture.sh" start 2>&1)
rc=$?
echo "$out"
if [ "$rc" -ne 1 ]; then echo "expected exit 1, got $rc"; exit 1; fi
case $out in
  *"the Slurm packages are not installed (missing: munged"*"ctest -LE slurm"*) echo "ok: fails and says so" ;;
  *) echo "the message does not name the missing packages"; exit 1 ;;
esac
