#!/bin/sh
# Runs as the official redis image does, so compose files written for it work here:
# `redis-server ARGS`, or only `--option value ...` (redis-server is put in front).
# Without a config file, Redis listens on every interface of the container with protected mode
# off, so other services on the compose network can connect; later options override these.
set -e
case "${1:-}" in
  -*) set -- redis-server "$@" ;;
esac
if [ "${1:-}" = redis-server ]; then
  shift
  case "${1:-}" in
    -v | --version | -h | --help | --test-memory | --check-system) set -- redis-server "$@" ;;
    "" | -*) set -- redis-server --bind 0.0.0.0 --protected-mode no --dir /data "$@" ;;
    *) set -- redis-server "$@" ;;
  esac
fi
exec "$@"
