#!/bin/sh
# Runs as the official prom/prometheus image does, so compose files written for it work here:
# only `--flag ...` (prometheus is put in front), or a whole command (`prometheus --flag ...`,
# `promtool check metrics`).
set -e
case "${1:-}" in
  -*) set -- prometheus "$@" ;;
esac
exec "$@"
