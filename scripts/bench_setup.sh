# The server both benchmarks load (scripts/bench.sh, scripts/bench_instructions.sh). Sourced.

# bench_binary: sets BIN to $BENCH_BIN when given (a build to compare), else builds the release
# binary. Uses $ROOT.
bench_binary() {
    if [ -n "${BENCH_BIN:-}" ]; then
        BIN=$BENCH_BIN
    else
        echo "== building the release binary"
        (cd "$ROOT" && cargo build --release --quiet)
        BIN="$ROOT/target/release/pureconnect-idp"
    fi
}

# bench_setup: the server set up in "$TMP": a users file with one user (bench / bench), one SP
# ($SP, signing $SIGN), a fresh signing pair, and a free port on 127.0.0.1. Uses $BIN, $PY,
# $TMP, $SP and $SIGN and sets ADDR, BASE and CERT.
bench_setup() {
    local port hash
    port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    ADDR=127.0.0.1:$port
    BASE=http://$ADDR
    hash=$(echo bench | "$BIN" users hash)
    cat >"$TMP/users.toml" <<EOF
[[users]]
id = "bench"
password_hash = "$hash"
email = "bench@example.com"
display_name = "Bench User"
EOF
    cat >"$TMP/idp.toml" <<EOF
[server]
listen = "$ADDR"
[idp]
entity_id = "https://idp.bench.test"
organization_name = "benchorg"
certs_dir = "certs"
[session]
secret = "$(openssl rand -base64 32)"
[backend]
type = "file"
users_file = "users.toml"
[[service_providers]]
entity_id = "$SP"
acs_urls = ["https://sp.bench.test/acs"]
sign = "$SIGN"
service_name = "directory"
EOF
    "$BIN" certs generate bench --config "$TMP/idp.toml" >/dev/null
    CERT="$TMP/certs/signing/bench.crt"
}
