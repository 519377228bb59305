#!/bin/sh
# Runs a command inside a private network namespace with a loopback and a veth pair
# (10.77.0.1 <-> 10.77.0.2), so WebRTC finds a non-loopback interface for its host candidates
# while nothing outside the machine is reachable. Needs root (or unshare rights).
# Usage: tests/netns.sh COMMAND [ARGS...]
exec unshare -n sh -c 'ip link set lo up &&
  ip link add v0 type veth peer name v1 &&
  ip addr add 10.77.0.1/24 dev v0 && ip addr add 10.77.0.2/24 dev v1 &&
  ip link set v0 up && ip link set v1 up &&
  ip route add default via 10.77.0.2 dev v0 &&
  exec "$@"' netns "$@"
