"""Real servers for the integration tests: each module starts one on loopback and stops it by
its pid. Shared by the plugin tests and the example's end-to-end test."""
