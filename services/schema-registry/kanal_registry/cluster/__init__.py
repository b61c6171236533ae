"""Several instances: the primary election through etcd, and forwarding writes to the primary."""
