export declare const HOST: string;
export declare const redisCluster: { readonly ports: number[]; readonly nodes: string[] };
export declare const memcached: { readonly ports: number[]; readonly nodes: string[] };
export declare const hazelcast: { readonly clusterName: string; readonly ports: number[]; readonly members: string[] };
export declare function isListening(host: string, port: number, timeoutMs?: number): Promise<boolean>;
export declare function requireEngine(name: string, addresses: string[]): Promise<boolean>;
