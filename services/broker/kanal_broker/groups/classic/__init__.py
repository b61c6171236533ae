"""Kafka's classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) on the same
coordinator, for clients that assign among themselves (Kafka Connect workers). Membership
is kept in memory only; see README.md in the parent folder."""
