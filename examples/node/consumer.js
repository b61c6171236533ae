#!/usr/bin/env node
// A Kanal consumer-group member in Node.js, built from proto/ alone (no Kanal code):
// FindCoordinator, then KIP-848 ConsumerGroupHeartbeat to join and get partitions, Fetch
// from each partition's leader, OffsetCommit, and a heartbeat with member_epoch -1 to leave.
//
//   node consumer.js --bootstrap 127.0.0.1:9091 --group G --topic T [--max-records N]
//
// Prints one JSON object per line: {"event":"assigned","partitions":[...]},
// {"event":"record","partition":p,"offset":o,"key":k,"value":v}, {"event":"committed",...},
// {"event":"left"}. Stops after --max-records records, or on SIGTERM/SIGINT: it commits
// its positions, leaves the group and exits 0.

'use strict';

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { decodeRecords } = require('./records');

const PROTO_ROOT = process.env.KANAL_PROTO_DIR || path.join(__dirname, '..', '..', 'proto');
const definition = protoLoader.loadSync(['kanal/v1/group.proto', 'kanal/v1/broker.proto'], {
  includeDirs: [PROTO_ROOT], keepCase: true, longs: String, enums: Number, defaults: true,
});
const kanal = grpc.loadPackageDefinition(definition).kanal.v1;

// Kafka's error codes (kanal.v1.ErrorCode), the ones this member reacts to.
const COORDINATOR_MOVED = new Set([14, 15, 16]); // loading, not available, not coordinator
const REJOIN = new Set([25, 69, 110]); // unknown member, group not found, fenced epoch
const LEAVE_EPOCH = -1;
const EARLIEST = '-2';
const COMMIT_INTERVAL_MS = 500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

function parseArgs(argv) {
  const options = { bootstrap: '127.0.0.1:9091', group: '', topic: '', maxRecords: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--bootstrap') options.bootstrap = value;
    else if (flag === '--group') options.group = value;
    else if (flag === '--topic') options.topic = value;
    else if (flag === '--max-records') options.maxRecords = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!options.group || !options.topic) throw new Error('--group and --topic are required');
  return options;
}

class Stubs {
  constructor() {
    this.cache = new Map();
  }

  get(kind, address) {
    const key = `${kind}@${address}`;
    if (!this.cache.has(key)) {
      this.cache.set(key, new kanal[kind](address, grpc.credentials.createInsecure()));
    }
    return this.cache.get(key);
  }

  call(kind, address, method, request, timeoutMs = 10000) {
    const stub = this.get(kind, address);
    return new Promise((resolve, reject) => {
      stub[method](request, { deadline: Date.now() + timeoutMs }, (error, answer) => {
        if (error) reject(error);
        else resolve(answer);
      });
    });
  }

  close() {
    for (const stub of this.cache.values()) stub.close();
  }
}

class GroupConsumer {
  constructor(options) {
    this.options = options;
    this.stubs = new Stubs();
    this.coordinator = null;
    this.memberId = '';
    this.epoch = 0;
    this.intervalMs = 1000;
    this.nextHeartbeat = 0;
    this.positions = new Map(); // owned partition -> next offset to consume (BigInt)
    this.committed = new Map();
    this.lastCommit = 0;
    this.consumed = 0;
    this.stopping = false;
  }

  async run() {
    while (!this.stopping) {
      if (Date.now() >= this.nextHeartbeat) await this.heartbeat();
      if (this.positions.size > 0) await this.fetchOnce();
      else await sleep(100);
      if (Date.now() - this.lastCommit >= COMMIT_INTERVAL_MS) await this.commit();
      if (this.options.maxRecords && this.consumed >= this.options.maxRecords) this.stopping = true;
    }
    await this.commit();
    await this.groupCall('ConsumerGroupHeartbeat', this.heartbeatRequest(LEAVE_EPOCH));
    emit({ event: 'left', member_id: this.memberId });
    this.stubs.close();
  }

  async findCoordinator() {
    for (const address of this.options.bootstrap.split(',')) {
      try {
        const answer = await this.stubs.call('GroupCoordinator', address, 'FindCoordinator',
          { keys: [this.options.group] });
        const found = answer.coordinators[0];
        if (found.error_code === 0) {
          this.coordinator = `${found.broker.endpoint.host}:${found.broker.endpoint.port}`;
          return;
        }
      } catch (error) {
        // try the next bootstrap broker
      }
    }
    throw new Error('no broker answered FindCoordinator');
  }

  // A GroupCoordinator call, sent again (to the coordinator found anew) while it moves.
  async groupCall(method, request) {
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.coordinator === null) await this.findCoordinator();
        const answer = await this.stubs.call('GroupCoordinator', this.coordinator, method, request);
        if (!COORDINATOR_MOVED.has(answer.error_code)) return answer;
      } catch (error) {
        if (attempt >= 50) throw error;
      }
      this.coordinator = null;
      await sleep(200);
    }
  }

  heartbeatRequest(epoch) {
    return {
      group_id: this.options.group, member_id: this.memberId, member_epoch: epoch,
      rebalance_timeout_ms: 30000, subscribed_topic_names: [this.options.topic],
      topic_partitions: [{ topic: this.options.topic, partitions: [...this.positions.keys()] }],
      client_id: 'kanal-node-example',
    };
  }

  async heartbeat() {
    const answer = await this.groupCall('ConsumerGroupHeartbeat', this.heartbeatRequest(this.epoch));
    if (REJOIN.has(answer.error_code)) { // fenced: drop everything, join again
      this.positions.clear();
      this.epoch = 0;
      this.nextHeartbeat = 0;
      return;
    }
    if (answer.error_code !== 0) throw new Error(`heartbeat: ${answer.error_message}`);
    this.memberId = answer.member_id;
    this.epoch = answer.member_epoch;
    this.intervalMs = answer.heartbeat_interval_ms || this.intervalMs;
    const assigned = new Set(answer.assignment
      .filter((t) => t.topic === this.options.topic).flatMap((t) => t.partitions));
    const revoked = [...this.positions.keys()].filter((p) => !assigned.has(p));
    const added = [...assigned].filter((p) => !this.positions.has(p));
    if (revoked.length > 0) { // commit, stop, then say so at once in the next heartbeat
      await this.commit();
      for (const p of revoked) this.positions.delete(p);
    }
    if (added.length > 0) await this.startAt(added);
    if (revoked.length > 0 || added.length > 0) {
      emit({ event: 'assigned', member_id: this.memberId,
        partitions: [...this.positions.keys()].sort((a, b) => a - b) });
    }
    this.nextHeartbeat = revoked.length > 0 ? 0 : Date.now() + this.intervalMs;
  }

  // New partitions start at the group's committed offset, else at the log start.
  async startAt(partitions) {
    const answer = await this.groupCall('OffsetFetch', {
      group_id: this.options.group, topics: [{ topic: this.options.topic, partitions }] });
    const committed = new Map();
    for (const t of answer.topics) {
      for (const p of t.partitions) {
        if (Number(p.committed_offset) >= 0) committed.set(p.partition, BigInt(p.committed_offset));
      }
    }
    const leaders = await this.leaders();
    for (const p of partitions) {
      let start = committed.get(p);
      if (start === undefined) {
        const listed = await this.stubs.call('Broker', leaders.get(p), 'ListOffsets', {
          topics: [{ topic: this.options.topic, partitions: [{ partition: p, timestamp: EARLIEST }] }] });
        start = BigInt(listed.topics[0].partitions[0].offset);
      }
      this.positions.set(p, start);
      this.committed.set(p, start);
    }
  }

  async leaders() {
    const [address] = this.options.bootstrap.split(',');
    const answer = await this.stubs.call('Broker', address, 'Metadata', { topics: [this.options.topic] });
    const endpoints = new Map(answer.brokers.map((b) => [b.broker_id, `${b.endpoint.host}:${b.endpoint.port}`]));
    const leaders = new Map();
    for (const p of answer.topics[0].partitions) leaders.set(p.partition, endpoints.get(p.leader));
    return leaders;
  }

  async fetchOnce() {
    const leaders = await this.leaders();
    const byLeader = new Map();
    for (const [p, offset] of this.positions) {
      const leader = leaders.get(p);
      if (!leader) continue;
      if (!byLeader.has(leader)) byLeader.set(leader, []);
      byLeader.get(leader).push({ partition: p, fetch_offset: offset.toString(),
        partition_max_bytes: 1 << 20, current_leader_epoch: -1 });
    }
    for (const [leader, partitions] of byLeader) {
      const answer = await this.stubs.call('Broker', leader, 'Fetch', {
        replica_id: -1, max_wait_ms: 200, min_bytes: 1, max_bytes: 4 << 20,
        topics: [{ topic: this.options.topic, partitions }] });
      for (const t of answer.topics) {
        for (const part of t.partitions) {
          const position = this.positions.get(part.partition);
          if (part.error_code !== 0 || position === undefined) continue;
          for (const record of decodeRecords(part.records, position)) {
            emit({ event: 'record', partition: part.partition, offset: Number(record.offset),
              key: record.key && record.key.toString(), value: record.value && record.value.toString() });
            this.positions.set(part.partition, record.offset + 1n);
            this.consumed++;
          }
        }
      }
    }
  }

  async commit() {
    this.lastCommit = Date.now();
    const changed = [...this.positions].filter(([p, o]) => this.committed.get(p) !== o);
    if (changed.length === 0 || !this.memberId) return;
    const answer = await this.groupCall('OffsetCommit', {
      group_id: this.options.group, member_id: this.memberId, member_epoch: this.epoch,
      topics: [{ topic: this.options.topic, partitions: changed.map(([p, o]) => ({
        partition: p, committed_offset: o.toString(), committed_leader_epoch: -1 })) }] });
    if (answer.error_code !== 0) return; // e.g. a stale epoch: the next heartbeat tells more
    for (const [p, o] of changed) this.committed.set(p, o);
    emit({ event: 'committed', offsets: Object.fromEntries(changed.map(([p, o]) => [p, Number(o)])) });
  }
}

async function main() {
  const consumer = new GroupConsumer(parseArgs(process.argv.slice(2)));
  const stop = () => { consumer.stopping = true; };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await consumer.run();
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
