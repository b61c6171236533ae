"""Cluster metadata as stored in etcd: the key layout and the JSON documents under it.

Shared by the controller (the only writer) and the brokers (watchers); clients never read etcd.
"""
