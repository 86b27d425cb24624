import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What the numbers were measured on: CPU model, cores, RAM, Node version. */
export function describeMachine() {
  const cpu = cpuModel();
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const memoryGiB = os.totalmem() / 1024 ** 3;
  const node = process.version;
  return {
    cpu,
    cores,
    memoryGiB: Math.round(memoryGiB * 10) / 10,
    node,
    line: `${cpu}, ${cores} cores, ${memoryGiB.toFixed(1)} GiB RAM, Node ${node}`,
  };
}

function cpuModel() {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1].trim().replace(/\s+/g, ' ');
  } catch {
    // Not Linux: fall through to what Node reports.
  }
  return os.cpus()[0]?.model?.trim() || 'unknown CPU';
}
