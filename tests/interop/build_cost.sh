#!/bin/bash
# The build cost of nectar-api for a user: clean debug builds of a one-line consumer, one after
# the other, twice each, against a bare crate with the same reqwest, serde and tokio. Prints wall,
# user and sys seconds (CPU = user + sys). BEFORE is a checkout of nectar-api to compare with:
#   git worktree add /tmp/before <commit> && bash tests/interop/build_cost.sh
# Run on an idle machine: two identical runs differ by up to 10 %.
set -u
run() { # name dir dep
  local name=$1 dir=/tmp/m-$1
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
  for i in 1 2; do
    rm -rf $dir/target
    /usr/bin/time -f "$name run $i: %e s wall, %U s user, %S s sys" cargo build -q --manifest-path $dir/Cargo.toml --target-dir $dir/target 2>&1 | tail -1
  done
}
run bare 'reqwest = { version = "0.13", default-features = false, features = ["json", "query", "stream", "rustls"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"' 'fn main() { let _ = reqwest::Client::new(); }'
run before 'nectar-api = { path = "/tmp/before/nectar-api" }' 'fn main() { let _ = nectar_api::Client::builder(); }'
run default "nectar-api = { path = \"$PWD/nectar-api\" }" 'fn main() { let _ = nectar_api::Client::builder(); }'
run minimal "nectar-api = { path = \"$PWD/nectar-api\", default-features = false }" 'fn main() { let _ = nectar_api::Client::builder(); }'
