#!/usr/bin/env bash
# End-to-end: a real Prometheus server (Debian's `prometheus`) scrapes tests' prometheus_target and
# answers PromQL queries for the GenAI histogram it recorded (0.25 s, 0.5 s, 1.5 s for llama3.2).
# Usage: prometheus_e2e.sh <prometheus_target binary>. Bounded: every wait has a deadline; the
# Prometheus API is polled (no fixed sleeps for synchronisation).
set -euo pipefail
target_bin="$1"
command -v prometheus >/dev/null || { echo "prometheus is missing (scripts/setup.sh installs Debian's prometheus)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }
work="$(mktemp -d)"
target_pid=""; prom_pid=""
cleanup() {
  [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null || true
  [ -n "$target_pid" ] && kill "$target_pid" 2>/dev/null && wait "$target_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The target: keeps serving while its stdin (a FIFO we hold open) stays open.
mkfifo "$work/stdin"
"$target_bin" < "$work/stdin" > "$work/target.out" 2> "$work/target.err" &
target_pid=$!
exec 7> "$work/stdin"
deadline=$((SECONDS + 30))
port=""
while [ -z "$port" ]; do
  port="$(sed -n 's/^port \([0-9]*\)$/\1/p' "$work/target.out" 2>/dev/null || true)"
  [ -n "$port" ] && break
  kill -0 "$target_pid" 2>/dev/null || { echo "prometheus_target exited: $(cat "$work/target.err")" >&2; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "prometheus_target did not report its port" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/metrics" > "$work/scrape.txt"
grep -q '^gen_ai_client_inference_duration_seconds_bucket' "$work/scrape.txt"

# A free port for Prometheus' own web API.
prom_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
cat > "$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: llmtrace
    static_configs:
      - targets: ["127.0.0.1:$port"]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" > "$work/prometheus.log" 2>&1 &
prom_pid=$!

query() {  # prints the first result value of an instant query, or nothing
  curl -fsS --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); r=d["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null || true
}
count_q='gen_ai_client_inference_duration_seconds_count{gen_ai_request_model="llama3.2",gen_ai_operation_name="chat",otel_scope_name="llmtrace.e2e"}'
deadline=$((SECONDS + 90))
count=""
while [ "$count" != "3" ]; do
  count="$(query "$count_q")"
  [ "$count" = "3" ] && break
  kill -0 "$prom_pid" 2>/dev/null || { echo "prometheus exited:"; tail -20 "$work/prometheus.log"; exit 1; } >&2
  [ $SECONDS -lt $deadline ] || { echo "Prometheus never returned count 3 (last: '$count')"; tail -20 "$work/prometheus.log"; exit 1; } >&2
  sleep 0.5
done
sum="$(query 'gen_ai_client_inference_duration_seconds_sum{gen_ai_request_model="llama3.2"}')"
le05="$(query 'gen_ai_client_inference_duration_seconds_bucket{gen_ai_request_model="llama3.2",le="0.64"}')"
tokens="$(query 'gen_ai_client_inference_usage_input_tokens_total{gen_ai_request_model="llama3.2"}')"
info="$(query 'target_info{service_name="llmtrace-prometheus-e2e"}')"
echo "count=$count sum=$sum bucket(le=0.64)=$le05 tokens=$tokens target_info=$info"
[ "$sum" = "2.25" ] || { echo "expected sum 2.25, got '$sum'" >&2; exit 1; }
[ "$le05" = "2" ] || { echo "expected 2 measurements <= 0.64 s, got '$le05'" >&2; exit 1; }
[ "$tokens" = "421" ] || { echo "expected 421 input tokens, got '$tokens'" >&2; exit 1; }
[ "$info" = "1" ] || { echo "expected target_info 1, got '$info'" >&2; exit 1; }
echo "prometheus e2e: ok"
