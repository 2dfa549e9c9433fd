// The shape of bench/results/latest.json.
import type { PeerInfo } from '../lib/peers';
import type { ColdResults } from '../scenarios/cold';
import type { ExtensionResults } from '../scenarios/extension';
import type { MemoryResults } from '../scenarios/memory';
import type { ProfileResults } from '../scenarios/profile';
import type { PwshResults } from '../scenarios/pwsh';
import type { RoundTripResults } from '../scenarios/roundTrip';
import type { ThroughputResults } from '../scenarios/throughput';
import type { WarmResults } from '../scenarios/warm';
import type { TargetCheck } from './targets';

export interface BenchMeta {
  date: string;
  commit: string;
  /** uncommitted changes under src/ when the run started */
  dirty: boolean;
  node: string;
  os: string;
  cpus: number;
  cpuModel: string;
  memGiB: number;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  /** share of both cores busy (all processes) in the second before the run started */
  boxBusyAtStart?: number;
  quick: boolean;
  runs: number;
  sizes: number[];
  hosts: number;
  testBed: string;
  durationS?: number;
}

export interface BenchResults {
  meta: BenchMeta;
  peers: PeerInfo[];
  scenarios: {
    cold?: ColdResults;
    warm?: WarmResults;
    roundTrip?: RoundTripResults;
    throughput?: ThroughputResults;
    memory?: MemoryResults;
    extension?: ExtensionResults;
    profile?: ProfileResults;
    pwsh?: PwshResults;
  };
  /** scenarios that could not run, and why */
  errors: { scenario: string; error: string }[];
  targets: TargetCheck[];
}
