#!/usr/bin/env bash
# Services the test suite needs, installed and started from the registries reachable here, stopped afterwards.
# Sourced by test.sh. Each service exports the variables the tests read.

test_env_up() {
  :
}

test_env_down() {
  :
}
