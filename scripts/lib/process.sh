# shellcheck shell=bash
# Process identity helpers for the engine scripts (sourced, not run).

# Field 22 of /proc/PID/stat: start time in clock ticks since boot. Together with the PID it
# identifies one process for its whole life, even after the PID number is recycled.
proc_starttime() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # The command name (field 2) may contain spaces; count fields after its closing paren.
  stat="${stat##*) }"
  # shellcheck disable=SC2086  # word splitting is the point here
  set -- $stat
  printf '%s\n' "${20}"
}

proc_name() {
  cat "/proc/$1/comm" 2>/dev/null
}

# kill -0 also succeeds for a zombie whose parent has not reaped it yet; a zombie is dead
# for our purposes (it holds no socket and no pidfile lock).
pid_alive() {
  [[ "$1" =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# The process PID that started at START (proc_starttime) is still running.
same_process() {
  pid_alive "$1" && [[ "$(proc_starttime "$1")" == "$2" ]]
}
