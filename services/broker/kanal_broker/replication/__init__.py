"""Replication, Kafka's model: followers pull from the leader; the leader tracks them.

    leader_view.py      leader side, pure: each follower's log end and last caught-up time,
                        the high watermark they allow, who leaves or joins the ISR
    isr_updates.py      leader side: asks the controller to change the ISR (AlterPartition)
    fetcher.py          follower side: one task per leader broker, fetching and appending
    fetchers.py         follower side: which partitions each fetcher pulls, as leaders move
    truncation.py       follower side: where a new leader epoch's follower cuts its log
    controller_link.py  the gRPC channel to the active controller
"""
