#!/bin/bash
# The build cost of nectar-api for a user: clean debug builds of a one-line consumer, one after
# the other, RUNS times each (default 3), against a bare crate with the same reqwest, serde and
# tokio. Per run: the CPU time of the whole build (user + sys of cargo and all it starts, the C
# build of aws-lc-sys included) and, through a RUSTC_WRAPPER (rustc_time.sh), the rustc CPU time
# of the crates the bare build does not compile, the largest named. BEFORE is a checkout of
# nectar-api to compare with:
#   git worktree add /tmp/before <commit> && bash tests/interop/build_cost.sh
# Run on an idle machine: whole builds of the same crate differ by up to 10 % here; the
# per-crate figures by less.
# CARGO_INCREMENTAL=0: cargo compiles path dependencies incrementally, registry ones not; a user
# depends on nectar-api from the registry.
set -u
export CARGO_INCREMENTAL=0
here=$(cd "$(dirname "$0")" && pwd)
runs=${RUNS:-3}
bare_units=$(mktemp)
run() { # name dependencies main.rs
  local name=$1 dir=/tmp/m-$1 log
  rm -rf $dir && mkdir -p $dir/src
  cat > $dir/Cargo.toml <<TOML
[package]
name = "m-$name"
version = "0.1.0"
edition = "2024"
[dependencies]
$2
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
TOML
  echo "$3" > $dir/src/main.rs
  (cd $dir && cargo fetch -q)
  for i in $(seq $runs); do
    rm -rf $dir/target
    log=$dir/rustc-$i.txt
    : > $log
    RUSTC_TIME_LOG=$log RUSTC_WRAPPER=$here/rustc_time.sh /usr/bin/time -o $dir/time-$i.txt \
      -f "%e %U %S" cargo build -q --manifest-path $dir/Cargo.toml --target-dir $dir/target
    [ "$name" = bare ] && [ $i = 1 ] && awk '{print $1}' $log | sort -u > $bare_units
    python3 - "$name" "$i" $bare_units $log $dir/time-$i.txt <<'PY'
import collections, sys
name, run, bare_units, log, timing = sys.argv[1:]
bare = set(open(bare_units).read().split())
wall, user, sys_ = map(float, open(timing).read().split()[-3:])
extra = collections.Counter()
for line in open(log):
    fields = line.split()  # "Command exited with non-zero status 1" after a failed probe
    if len(fields) == 3 and fields[0] not in bare:
        extra[fields[0]] += float(fields[1]) + float(fields[2])
top = ", ".join(f"{c} {t:.1f}" for c, t in extra.most_common(6))
print(f"{name} run {run}: {user + sys_:.1f} s CPU ({wall:.1f} s wall); rustc on crates the bare "
      f"build lacks: {sum(extra.values()):.1f} s" + (f" ({top})" if top else ""))
PY
  done
}
run bare 'reqwest = { version = "0.13", default-features = false, features = ["json", "query", "stream", "rustls"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"' 'fn main() { let _ = reqwest::Client::new(); }'
[ -d /tmp/before/nectar-api ] && run before 'nectar-api = { path = "/tmp/before/nectar-api" }' 'fn main() { let _ = nectar_api::Client::builder(); }'
run default "nectar-api = { path = \"$here/../../nectar-api\" }" 'fn main() { let _ = nectar_api::Client::builder(); }'
run minimal "nectar-api = { path = \"$here/../../nectar-api\", default-features = false }" 'fn main() { let _ = nectar_api::Client::builder(); }'
rm -f $bare_units
