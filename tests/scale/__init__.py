"""Tests of running on several processes: the Redis lock store, the production profile."""
