#!/usr/bin/python3
"""Every ctest test carries exactly one of the suite labels (tests/README.md, "Labels").

  check_labels.py CTEST BUILD_DIR

Reads `CTEST --test-dir BUILD_DIR --show-only=json-v1` (lists the tests, runs none) and fails
naming each test with no suite label or with two. Other labels (repo, sdk) may come on top.
"""
import json
import subprocess
import sys

SUITES = ("unit", "gradcheck", "parity", "integration", "slurm", "cuda", "faults")


def labels_of(test):
    for prop in test.get("properties", []):
        if prop.get("name") == "LABELS":
            return list(prop.get("value", []))
    return []


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ctest, build = sys.argv[1], sys.argv[2]
    out = subprocess.run([ctest, "--test-dir", build, "--show-only=json-v1"],
                         check=True, capture_output=True, text=True).stdout
    tests = json.loads(out)["tests"]
    bad = []
    for t in tests:
        suites = [label for label in labels_of(t) if label in SUITES]
        if len(suites) != 1:
            bad.append(f"  {t['name']}: labels {labels_of(t) or 'none'}")
    if bad:
        print(f"{len(bad)} of {len(tests)} tests lack exactly one of the labels "
              f"{', '.join(SUITES)} (TEST_SUITE_BEGIN in the test file, or LABELS in "
              f"set_tests_properties):")
        print("\n".join(bad))
        sys.exit(1)
    counts = {s: sum(s in labels_of(t) for t in tests) for s in SUITES}
    print(f"{len(tests)} tests, each with one suite label: " +
          ", ".join(f"{s} {n}" for s, n in counts.items()))


if __name__ == "__main__":
    main()
