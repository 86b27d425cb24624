// The one place that names the test engines' addresses. Every integration test imports these.
export const HOST = '127.0.0.1';

export const redisCluster = Object.freeze({
  ports: [7000, 7001, 7002, 7003, 7004, 7005],
  nodes: [7000, 7001, 7002, 7003, 7004, 7005].map((port) => `${HOST}:${port}`),
});

export const memcached = Object.freeze({
  ports: [21211, 21212, 21213],
  nodes: [21211, 21212, 21213].map((port) => `${HOST}:${port}`),
});

export const hazelcast = Object.freeze({
  clusterName: 'ringcache-test',
  ports: [15701, 15702],
  members: [15701, 15702].map((port) => `${HOST}:${port}`),
});
