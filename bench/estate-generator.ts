// A synthetic insurance estate of any size for the benchmarks: deterministic from its seed, valid
// against the default model (schema/model.default.json), streamed in batches so 1M CIs never sit in memory.
//
// Shape: a few shared hubs with very high fan-in (core switches every server and VM connects to, SAN
// arrays tens of thousands of hosts and VMs use, shared database and middleware clusters thousands of
// applications depend on, container platforms), business systems mostly GENERAL/OTHER with few CORE,
// many small applications each with a few components and VMs, and the office estate of desktops and
// peripherals. About 5 relationships per CI.

import type { NewCI, NewRelation } from '../src/cis/ci.batch';

export interface EstateOptions {
  /** Exact number of CIs. At least 300. */
  cis: number;
  seed: number;
}

/** Foundation (people, suppliers, sites, hubs), then applications and their infrastructure, then offices. */
export type EstateSection = 'foundation' | 'applications' | 'end-user';

export const SECTIONS: readonly EstateSection[] = ['foundation', 'applications', 'end-user'];

export interface EstateBatch {
  cis: NewCI[];
  /** Every relation's ends are CIs of this batch or of an earlier one. */
  relations: NewRelation[];
  /** The section of the batch's first CI (a batch may straddle two). */
  section: EstateSection;
  /** Zero-based batch number. */
  index: number;
}

export interface Hub {
  code: string;
  class: string;
  role: HubRole;
}

export interface RankedCI {
  code: string;
  class: string;
  /** Incoming relationships. */
  fanIn: number;
  /** CIs a failure of this one impacts directly, following each type's propagation direction. */
  directImpact: number;
  degree: number;
}

export interface EstateFacts {
  seed: number;
  cis: number;
  relations: number;
  relationsPerCi: number;
  byClass: Record<string, number>;
  byRelationType: Record<string, number>;
  byLifecycle: Record<string, number>;
  businessSystemsByImportance: Record<string, number>;
  /** Shared infrastructure the generator built to be depended upon, with what it is. */
  hubs: (Hub & { fanIn: number; directImpact: number })[];
  fanInPercentiles: { p50: number; p90: number; p99: number; p999: number; max: number };
  /** For impact and root-cause benchmarks: a typical CI, a busy one, and the busiest. */
  picks: { median: RankedCI; p99FanIn: RankedCI; maxFanIn: RankedCI; p99Impact: RankedCI; maxImpact: RankedCI };
  /** A CORE business system and an application of it, for top-down queries. */
  sampleCoreSystem: string | null;
  sampleApplication: string | null;
}

export interface Estate {
  readonly options: EstateOptions;
  /** Restartable: every call replays the same estate from the seed, cut into batches of at most maxCis CIs. */
  batches(maxCis: number): Generator<EstateBatch>;
  /** Facts of the estate; walks it once (without keeping it) if no full walk has happened yet. */
  facts(): EstateFacts;
}

// ------------------------------------------------------------------ randomness

/** mulberry32: tiny, fast, good enough for synthetic data, and the same on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** Integer with mean `mean`, spread over [0, 2·mean] (cheap, bounded, deterministic). */
  around(mean: number): number {
    const whole = Math.floor(mean);
    return this.int(0, 2 * whole) + (this.chance(mean - whole) ? 1 : 0);
  }
  /** Index drawn from a precomputed cumulative weight table. */
  weighted(cumulative: Float64Array): number {
    const x = this.next() * cumulative[cumulative.length - 1];
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Cumulative Zipf weights 1/(i+1)^s: the first few entries take most of the draws. */
function zipf(n: number, s: number): Float64Array {
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / Math.pow(i + 1, s);
    out[i] = sum;
  }
  return out;
}

/** A list of hub CIs with a skewed choice among them. */
class HubPool {
  private cumulative: Float64Array = new Float64Array(0);
  readonly ids: number[] = [];
  constructor(private readonly s: number) {}
  add(id: number): void {
    this.ids.push(id);
    this.cumulative = zipf(this.ids.length, this.s);
  }
  draw(rng: Rng): number {
    return this.ids[rng.weighted(this.cumulative)];
  }
  /** Distinct draws (fewer when the pool is small). */
  drawMany(rng: Rng, count: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < count * 3 && out.length < Math.min(count, this.ids.length); k++) {
      const id = this.draw(rng);
      if (!out.includes(id)) out.push(id);
    }
    return out;
  }
}

// ------------------------------------------------------------------ value formats

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const ip = (a: number, n: number) => `${a}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const mgmtIp = (n: number) => `172.${16 + ((n >>> 16) & 15)}.${(n >>> 8) & 255}.${n & 255}`;
const hex2 = (n: number) => (n & 255).toString(16).toUpperCase().padStart(2, '0');
const mac = (n: number) => `00:1A:${hex2(n >>> 24)}:${hex2(n >>> 16)}:${hex2(n >>> 8)}:${hex2(n)}`;
const date = (rng: Rng, from: number, to: number) =>
  `${rng.int(from, to)}-${pad(rng.int(1, 12), 2)}-${pad(rng.int(1, 28), 2)}`;

const BUSINESS_WORDS = [
  '承保',
  '理赔',
  '核保',
  '保全',
  '收付费',
  '再保',
  '渠道',
  '客户',
  '财务',
  '精算',
  '监管报送',
  '影像',
  '电子保单',
  '车险',
  '非车险',
  '健康险',
  '农险',
  '反洗钱',
  '营销',
  '数据仓库',
];

interface DataCentreSpec {
  code: string;
  city: string;
  cityCode: string;
  name: string;
  siteType: string;
  /** Share of new hosts placed here. */
  share: number;
  environment: string;
}

const DATA_CENTRES: readonly DataCentreSpec[] = [
  {
    code: 'DC-SH-ZJ',
    city: '上海',
    cityCode: 'SH',
    name: '上海张江数据中心',
    siteType: 'PRIMARY',
    share: 0.6,
    environment: 'PRODUCTION',
  },
  {
    code: 'DC-SH-WGQ',
    city: '上海',
    cityCode: 'SQ',
    name: '上海外高桥同城灾备中心',
    siteType: 'SAME_CITY_DR',
    share: 0.25,
    environment: 'PRODUCTION',
  },
  {
    code: 'DC-HF-BH',
    city: '合肥',
    cityCode: 'HF',
    name: '合肥滨湖异地灾备中心',
    siteType: 'DISASTER_RECOVERY',
    share: 0.15,
    environment: 'DISASTER_RECOVERY',
  },
];

const CORE_TEAMS: readonly [string, string, string][] = [
  ['T-OPS', '运维管理组', 'OPERATIONS'],
  ['T-INFRA', '基础架构组', 'INFRASTRUCTURE'],
  ['T-DBA', '数据库组', 'DATABASE'],
  ['T-MW', '中间件组', 'MIDDLEWARE'],
  ['T-NET', '网络组', 'NETWORK'],
  ['T-SEC', '信息安全组', 'SECURITY'],
  ['T-DESK', '桌面运维组', 'DESKTOP_SUPPORT'],
  ['T-SD', '服务台', 'SERVICE_DESK'],
  ['T-BCM', '业务连续性组', 'CONTINUITY'],
  ['T-OUT', '外包运维组', 'OUTSOURCED'],
];

const SUPPLIERS: readonly [string, string, string][] = [
  ['SUP-HUAWEI', '华为技术有限公司', 'HARDWARE'],
  ['SUP-H3C', '新华三技术有限公司', 'HARDWARE'],
  ['SUP-INSPUR', '浪潮电子信息产业股份有限公司', 'HARDWARE'],
  ['SUP-LENOVO', '联想(北京)有限公司', 'HARDWARE'],
  ['SUP-DELL', '戴尔(中国)有限公司', 'HARDWARE'],
  ['SUP-HITACHI', '日立数据系统', 'HARDWARE'],
  ['SUP-ORACLE', '甲骨文(中国)软件系统有限公司', 'SOFTWARE'],
  ['SUP-DAMENG', '武汉达梦数据库股份有限公司', 'SOFTWARE'],
  ['SUP-OCEANBASE', '北京奥星贝斯科技有限公司', 'SOFTWARE'],
  ['SUP-VMWARE', '威睿信息技术(中国)有限公司', 'SOFTWARE'],
  ['SUP-TONGTECH', '北京东方通科技股份有限公司', 'SOFTWARE'],
  ['SUP-REDHAT', '红帽软件(北京)有限公司', 'SOFTWARE'],
  ['SUP-DIGITALCHINA', '神州数码系统集成服务有限公司', 'OUTSOURCING'],
  ['SUP-PACTERA', '文思海辉技术有限公司', 'OUTSOURCING'],
  ['SUP-CSI', '中软国际有限公司', 'OUTSOURCING'],
  ['SUP-TELECOM', '中国电信股份有限公司', 'TELECOM'],
  ['SUP-UNICOM', '中国联合网络通信有限公司', 'TELECOM'],
  ['SUP-MOBILE', '中国移动通信集团有限公司', 'TELECOM'],
  ['SUP-ALIYUN', '阿里云计算有限公司', 'CLOUD'],
  ['SUP-TENCENT', '腾讯云计算(北京)有限责任公司', 'CLOUD'],
  ['SUP-UNIONPAY', '中国银联股份有限公司', 'SERVICE'],
  ['SUP-MONTNETS', '梦网云科技集团股份有限公司', 'SERVICE'],
  ['SUP-GDS', '万国数据服务有限公司', 'SERVICE'],
];

// Hubs the estate builds, named so benchmarks can find them without the facts.
export const HUB_ROLES = [
  'core-switch',
  'san-array',
  'shared-database',
  'shared-middleware',
  'container-platform',
  'virtualization-cluster',
  'load-balancer',
  'waf',
  'external-service',
] as const;
export type HubRole = (typeof HUB_ROLES)[number];

// ------------------------------------------------------------------ the builder

interface Unit {
  cis: NewCI[];
  relations: NewRelation[];
  section: EstateSection;
}

/** Relationship types whose failure travels target → source (the target's failure impacts the source). */
const TARGET_TO_SOURCE = new Set([
  'RUNS_ON',
  'DEPENDS_ON',
  'USES_STORAGE',
  'PROVISIONED_FROM',
  'CONNECTS_TO',
  'LOCATED_IN',
]);
const SOURCE_TO_TARGET = new Set(['PART_OF', 'BELONGS_TO']);

interface DcState {
  spec: DataCentreSpec;
  dc: number;
  computerRooms: number[];
  networkRoom: number;
  coreSwitches: number[];
  /** Aggregation switches per computer room. */
  aggregation: Map<number, number[]>;
  sanArrays: HubPool;
  routers: number[];
  /** Open rack in each computer room: id, its ToR switch, hosts placed so far. */
  rack: { id: number; tor: number; used: number; room: number } | null;
  rackCount: number;
  /** Open virtualization cluster and how many hosts it has. */
  vcluster: { id: number; hosts: number } | null;
  /** Hosts with free VM slots. */
  hosts: { id: number; free: number; array: number; tor: number }[];
}

/** Walks the estate once; `visit` sees every unit in order. Pure function of (cis, seed). */
class EstateWalk {
  private readonly rng: Rng;
  private readonly n: number;
  /** CI code by id (ids are the order of creation). */
  readonly codes: string[] = [];
  readonly classIds: number[] = [];
  readonly classNames: string[] = [];
  private readonly classIndex = new Map<string, number>();
  readonly fanIn: Int32Array;
  readonly fanOut: Int32Array;
  readonly impact: Int32Array;
  readonly byRelationType: Record<string, number> = {};
  readonly byLifecycle: Record<string, number> = {};
  readonly byImportance: Record<string, number> = {};
  readonly hubs: (Hub & { id: number })[] = [];
  relationCount = 0;
  sampleCoreSystem: string | null = null;
  sampleApplication: string | null = null;

  private unit: Unit = { cis: [], relations: [], section: 'foundation' };
  private counters = new Map<string, number>();

  // Pools built by the foundation.
  private teams: number[] = [];
  private appTeams: number[] = [];
  private persons: number[] = [];
  private teamOf = new Map<string, number>();
  private suppliers = new Map<string, number>();
  private hwSuppliers: number[] = [];
  private outsourcers: number[] = [];
  private softwareSuppliers: number[] = [];
  private dcs: DcState[] = [];
  private offices: { id: number; switches: number[] }[] = [];
  private sharedDbs = new HubPool(1.1);
  private sharedMw = new HubPool(1.0);
  private containerPlatforms = new HubPool(0.8);
  private loadBalancers = new HubPool(0.7);
  private wafs: number[] = [];
  private external = new HubPool(0.9);
  private systems: number[] = [];
  private importanceOf: string[] = [];
  private recentApps: number[] = [];

  constructor(
    options: EstateOptions,
    private readonly emit: (unit: Unit) => void,
  ) {
    if (!Number.isInteger(options.cis) || options.cis < 300) throw new Error('an estate needs at least 300 CIs');
    this.n = options.cis;
    this.rng = new Rng(options.seed);
    this.fanIn = new Int32Array(this.n);
    this.fanOut = new Int32Array(this.n);
    this.impact = new Int32Array(this.n);
  }

  get emitted(): number {
    return this.codes.length;
  }

  // ---------------------------------------------------------------- primitives

  private seq(prefix: string): number {
    const next = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, next);
    return next;
  }

  /** The next number of a kind, written out in a fixed width: VM-SH-0000123. */
  private code(prefix: string, width = 7): string {
    return `${prefix}-${pad(this.seq(prefix), width)}`;
  }

  private ci(
    cls: string,
    code: string,
    name: string,
    owner: number | 'self',
    attributes: Record<string, unknown>,
    lifecycle = 'IN_SERVICE',
  ): number {
    if (this.codes.length >= this.n) throw new Error('estate generator overran its CI budget');
    const id = this.codes.length;
    this.codes.push(code);
    let c = this.classIndex.get(cls);
    if (c === undefined) {
      c = this.classNames.length;
      this.classNames.push(cls);
      this.classIndex.set(cls, c);
    }
    this.classIds.push(c);
    this.byLifecycle[lifecycle] = (this.byLifecycle[lifecycle] ?? 0) + 1;
    this.unit.cis.push({
      class: cls,
      code,
      name,
      owner: owner === 'self' ? code : this.codes[owner],
      lifecycle,
      attributes,
    });
    return id;
  }

  private rel(type: string, source: number, target: number): void {
    this.unit.relations.push({ type, source: this.codes[source], target: this.codes[target] });
    this.fanOut[source]++;
    this.fanIn[target]++;
    if (TARGET_TO_SOURCE.has(type)) this.impact[target]++;
    else if (SOURCE_TO_TARGET.has(type)) this.impact[source]++;
    this.byRelationType[type] = (this.byRelationType[type] ?? 0) + 1;
    this.relationCount++;
  }

  private hub(id: number, role: HubRole): void {
    this.hubs.push({ id, code: this.codes[id], class: this.classNames[this.classIds[id]], role });
  }

  private endUnit(section: EstateSection): void {
    if (this.unit.cis.length === 0 && this.unit.relations.length === 0) return;
    this.unit.section = section;
    this.emit(this.unit);
    this.unit = { cis: [], relations: [], section };
  }

  /** Mostly in service; leaf CIs are sometimes in maintenance or not yet in service. */
  private leafState(): string {
    const x = this.rng.next();
    return x < 0.95 ? 'IN_SERVICE' : x < 0.98 ? 'MAINTENANCE' : x < 0.99 ? 'BUILDING' : 'PLANNED';
  }

  private supplier(code: string): number {
    return this.suppliers.get(code)!;
  }

  private maintainedBy(id: number, p: number): void {
    if (this.rng.chance(p)) this.rel('MAINTAINED_BY', id, this.rng.pick(this.outsourcers));
  }

  private suppliedBy(id: number, p: number, pool = this.hwSuppliers): void {
    if (this.rng.chance(p)) this.rel('SUPPLIED_BY', id, this.rng.pick(pool));
  }

  // ---------------------------------------------------------------- the walk

  /**
   * The walk, one step at a time: each step emits a few units (the foundation emits all of its own,
   * a few thousand CIs at 1M), so whoever drives it holds only what it has not consumed yet.
   */
  *steps(): Generator<void> {
    this.foundation();
    yield;
    // Offices take ~10% of what the foundation leaves; applications and their infrastructure the rest.
    const endUserBudget = Math.floor((this.n - this.emitted) * 0.1);
    yield* this.applications(this.n - endUserBudget);
    yield* this.endUser();
  }

  // ---------------------------------------------------------------- foundation

  private foundation(): void {
    const n = this.n;
    const rng = this.rng;
    for (const [code, name, teamType] of CORE_TEAMS) {
      const id = this.ci('Team', code, name, 'self', {
        teamType,
        dutyPhone: `021-5888${pad(this.teams.length, 4)}`,
        email: `${code.slice(2).toLowerCase()}@pc-insure.example.cn`,
      });
      this.teams.push(id);
      this.teamOf.set(teamType, id);
    }
    const appTeams = Math.max(2, Math.round(n / 10_000));
    for (let i = 1; i <= appTeams; i++) {
      const code = `T-APP-${pad(i, 4)}`;
      const id = this.ci('Team', code, `应用支持${i}组`, 'self', {
        teamType: 'APPLICATION_SUPPORT',
        email: `app${i}@pc-insure.example.cn`,
      });
      this.teams.push(id);
      this.appTeams.push(id);
    }
    const persons = Math.max(10, Math.round(n / 400));
    for (let i = 1; i <= persons; i++) {
      const employeeId = `E${pad(10_000 + i, 7)}`;
      const team = i <= appTeams * 4 ? this.appTeams[(i - 1) % appTeams] : rng.pick(this.teams);
      const id = this.ci('Person', `P-${employeeId}`, `员工${i}`, team, {
        employeeId,
        department: '信息技术部',
        jobTitle: rng.pick(['运维工程师', '系统管理员', '应用运维', '数据库管理员', '网络工程师']),
        email: `e${10_000 + i}@pc-insure.example.cn`,
      });
      this.rel('MEMBER_OF', id, team);
      this.persons.push(id);
    }
    this.endUnit('foundation');

    SUPPLIERS.forEach(([code, name, supplierType], i) => {
      const id = this.ci('Supplier', code, name, this.teamOf.get('OPERATIONS')!, {
        supplierType,
        creditCode: `91310000${pad(i + 1, 10)}`,
        importantOutsourcing: supplierType === 'OUTSOURCING',
        riskRating: rng.pick(['LOW', 'MEDIUM', 'HIGH']),
        contractEndDate: date(rng, 2026, 2030),
      });
      this.suppliers.set(code, id);
      if (supplierType === 'HARDWARE') this.hwSuppliers.push(id);
      if (supplierType === 'OUTSOURCING') this.outsourcers.push(id);
      if (supplierType === 'SOFTWARE' || supplierType === 'OUTSOURCING') this.softwareSuppliers.push(id);
    });
    this.endUnit('foundation');

    for (const spec of DATA_CENTRES) this.dataCentre(spec);
    // The remote DR centre mirrors the primary one-to-one, down to its core switches.
    const [primary, , remote] = this.dcs;
    this.rel('DR_COUNTERPART_OF', remote.dc, primary.dc);
    remote.coreSwitches.forEach((sw, k) => this.rel('DR_COUNTERPART_OF', sw, primary.coreSwitches[k]));
    this.endUnit('foundation');

    // Lines and third-party services reached over them.
    const lines: number[] = [];
    const carriers = ['SUP-TELECOM', 'SUP-UNICOM', 'SUP-MOBILE'];
    const carrierEnum = ['CHINA_TELECOM', 'CHINA_UNICOM', 'CHINA_MOBILE'];
    for (const [d, dc] of this.dcs.entries()) {
      for (let k = 0; k < 3; k++) {
        const code = this.code(`LN-${dc.spec.cityCode}`, 3);
        const id = this.ci('NetworkLine', code, `${dc.spec.city}专线${k + 1}`, this.teamOf.get('NETWORK')!, {
          lineId: `L${dc.spec.cityCode}-${pad(d * 10 + k, 6)}`,
          carrier: carrierEnum[k],
          lineType: k === 2 ? 'INTERNET' : 'MPLS_VPN',
          bandwidthMbps: rng.pick([100, 200, 500, 1000]),
          aEnd: dc.spec.name,
        });
        this.rel('CONNECTS_TO', id, dc.routers[k % dc.routers.length]);
        this.rel('SUPPLIED_BY', id, this.supplier(carriers[k]));
        lines.push(id);
      }
    }
    const services: [string, string, string, Record<string, unknown>][] = [
      ['PaymentService', 'PAY-UNIONPAY', '银联支付', { paymentChannel: 'UNIONPAY' }],
      ['PaymentService', 'PAY-WECHAT', '微信支付', { paymentChannel: 'WECHAT_PAY' }],
      ['PaymentService', 'PAY-ALIPAY', '支付宝', { paymentChannel: 'ALIPAY' }],
      ['SmsService', 'SMS-MONTNETS', '梦网短信', { channelType: 'AGGREGATOR' }],
      ['SmsService', 'SMS-ALIYUN', '阿里云短信', { channelType: 'CLOUD' }],
      ['CloudService', 'CLD-ALIYUN-OSS', '阿里云对象存储', { cloudServiceType: 'OBJECT_STORAGE' }],
      ['CloudService', 'CLD-TENCENT-CDN', '腾讯云CDN', { cloudServiceType: 'CDN' }],
      ['CloudService', 'CLD-ALIYUN-OCR', '阿里云OCR', { cloudServiceType: 'SAAS' }],
    ];
    for (const [cls, code, name, extra] of services) {
      const id = this.ci(cls, code, name, this.teamOf.get('OPERATIONS')!, {
        provider: name,
        internetFacing: true,
        slaAvailability: 99.9,
        serviceEndpoint: `https://${code.toLowerCase()}.example.com/api`,
        ...extra,
      });
      this.rel('CONNECTS_TO', id, rng.pick(lines));
      this.rel('SUPPLIED_BY', id, rng.pick(this.outsourcers.concat([this.supplier('SUP-ALIYUN')])));
      this.external.add(id);
      this.hub(id, 'external-service');
    }
    this.endUnit('foundation');

    // Shared clusters: databases, middleware, container platforms (in the primary and same-city centres).
    const sharedDbClusters = Math.max(2, Math.round(n / 60_000));
    for (let k = 0; k < sharedDbClusters; k++) this.sharedDatabaseCluster(this.dcs[k % 2]);
    const mwClusters = Math.max(2, Math.round(n / 120_000));
    for (let k = 0; k < mwClusters; k++) this.sharedMiddlewareCluster(this.dcs[k % 2]);
    const platforms = Math.max(1, Math.round(n / 300_000));
    for (let k = 0; k < platforms; k++) this.containerPlatform(this.dcs[k % 2]);

    const offices = Math.max(4, Math.round(n / 5_000));
    for (let k = 1; k <= offices; k++) {
      const id = this.ci(
        'OfficeSite',
        `OFF-${pad(k, 4)}`,
        `分支机构办公场所${k}`,
        this.teamOf.get('DESKTOP_SUPPORT')!,
        {
          city: rng.pick(['上海', '北京', '广州', '深圳', '杭州', '南京', '成都', '武汉', '合肥', '西安']),
          siteKind: k === 1 ? 'HEAD_OFFICE' : k <= 36 ? 'BRANCH' : 'SUB_BRANCH',
        },
      );
      const switches: number[] = [];
      for (let s = 0; s < 2; s++) {
        const sw = this.networkDevice('Switch', `SW-OFF-${pad(k, 4)}-${s + 1}`, `办公接入交换机${k}-${s + 1}`, id, {
          switchRole: 'ACCESS',
          networkZone: 'INTRANET',
          portCount: 48,
        });
        switches.push(sw);
      }
      this.offices.push({ id, switches });
      this.endUnit('foundation');
    }
  }

  private networkDevice(
    cls: 'Switch' | 'Router' | 'LoadBalancer',
    code: string,
    name: string,
    location: number,
    extra: Record<string, unknown>,
  ): number {
    const id = this.ci(cls, code, name, this.teamOf.get('NETWORK')!, {
      serialNumber: `SN-N${pad(this.seq('serial-net'), 8)}`,
      vendorModel: this.rng.pick(['Huawei CE12808', 'H3C S12508', 'Huawei CE6881', 'F5 BIG-IP i5800']),
      managementIp: mgmtIp(this.seq('mgmt-ip')),
      firmwareVersion: `V${this.rng.int(5, 8)}.${this.rng.int(0, 9)}`,
      ...extra,
    });
    this.rel('LOCATED_IN', id, location);
    this.rel('SUPPLIED_BY', id, this.rng.pick(this.hwSuppliers));
    return id;
  }

  private securityDevice(cls: 'Firewall' | 'WebApplicationFirewall', code: string, name: string, location: number) {
    const id = this.ci(cls, code, name, this.teamOf.get('SECURITY')!, {
      serialNumber: `SN-F${pad(this.seq('serial-sec'), 8)}`,
      vendorModel: cls === 'Firewall' ? 'Hillstone X10800' : 'NSFOCUS WAF NF-5600',
      managementIp: mgmtIp(this.seq('mgmt-ip')),
      networkZone: cls === 'Firewall' ? 'CORE' : 'DMZ',
      ...(cls === 'Firewall' ? { firewallRole: 'INTERNAL_SEGMENTATION' } : { deployMode: 'REVERSE_PROXY' }),
    });
    this.rel('LOCATED_IN', id, location);
    return id;
  }

  private dataCentre(spec: DataCentreSpec): void {
    const rng = this.rng;
    const infra = this.teamOf.get('INFRASTRUCTURE')!;
    const dc = this.ci('DataCenter', spec.code, spec.name, infra, {
      siteType: spec.siteType,
      city: spec.city,
      tierLevel: 'A',
      ownership: spec.siteType === 'PRIMARY' ? 'SELF_BUILT' : 'LEASED',
    });
    this.rel('MAINTAINED_BY', dc, this.supplier('SUP-GDS'));
    const rooms: number[] = [];
    for (let r = 1; r <= 4; r++) {
      const room = this.ci('MachineRoom', `MR-${spec.cityCode}-A${r}01`, `${spec.city}机房A${r}01`, infra, {
        roomType: r === 4 ? 'NETWORK_ROOM' : 'COMPUTER_ROOM',
        floor: `${r}F`,
        areaSqm: 400 + r * 10,
      });
      this.rel('LOCATED_IN', room, dc);
      rooms.push(room);
    }
    const networkRoom = rooms[3];
    const computerRooms = rooms.slice(0, 3);
    const cc = spec.cityCode;
    const routers = [1, 2].map((k) =>
      this.networkDevice('Router', `RT-${cc}-WAN-${k}`, `${spec.city}广域网路由器${k}`, networkRoom, {
        routerRole: 'WAN_EDGE',
        networkZone: 'WAN',
      }),
    );
    const coreSwitches = [1, 2].map((k) => {
      const id = this.networkDevice('Switch', `SW-${cc}-CORE-${k}`, `${spec.city}核心交换机${k}`, networkRoom, {
        switchRole: 'CORE',
        networkZone: 'CORE',
        portCount: 384,
      });
      for (const r of routers) this.rel('CONNECTS_TO', id, r);
      this.hub(id, 'core-switch');
      return id;
    });
    const fw = [1, 2].map((k) =>
      this.securityDevice('Firewall', `FW-${cc}-CORE-${k}`, `${spec.city}核心防火墙${k}`, networkRoom),
    );
    for (const f of fw) for (const c of coreSwitches) this.rel('CONNECTS_TO', f, c);
    if (spec.siteType !== 'DISASTER_RECOVERY') {
      for (let k = 1; k <= 2; k++) {
        const waf = this.securityDevice('WebApplicationFirewall', `WAF-${cc}-${k}`, `${spec.city}WAF${k}`, networkRoom);
        this.rel('CONNECTS_TO', waf, coreSwitches[k - 1]);
        this.wafs.push(waf);
        this.hub(waf, 'waf');
      }
      for (let k = 1; k <= 3; k++) {
        const lb = this.networkDevice('LoadBalancer', `LB-${cc}-${k}`, `${spec.city}负载均衡${k}`, networkRoom, {
          throughputGbps: 40,
          vipCount: 500,
          networkZone: 'DMZ',
        });
        for (const c of coreSwitches) this.rel('CONNECTS_TO', lb, c);
        this.loadBalancers.add(lb);
        this.hub(lb, 'load-balancer');
      }
    }
    const aggregation = new Map<number, number[]>();
    for (const room of computerRooms) {
      const aggs = [1, 2].map(() => {
        const id = this.networkDevice('Switch', this.code(`SW-${cc}-AGG`, 3), `${spec.city}汇聚交换机`, room, {
          switchRole: 'AGGREGATION',
          networkZone: 'INTRANET',
          portCount: 96,
        });
        for (const c of coreSwitches) this.rel('CONNECTS_TO', id, c);
        return id;
      });
      aggregation.set(room, aggs);
    }
    const sanArrays = new HubPool(0.6);
    const arrays = spec.siteType === 'PRIMARY' ? 4 : spec.siteType === 'SAME_CITY_DR' ? 3 : 2;
    for (let k = 1; k <= arrays; k++) {
      const id = this.ci('StorageArray', `SA-${cc}-${pad(k, 2)}`, `${spec.city}SAN存储${k}`, infra, {
        serialNumber: `SN-S${pad(this.seq('serial-sa'), 8)}`,
        vendorModel: rng.pick(['Huawei OceanStor 18500', 'Hitachi VSP 5600']),
        managementIp: mgmtIp(this.seq('mgmt-ip')),
        storageType: 'SAN_BLOCK',
        rawCapacityTb: 2000,
        usedCapacityTb: 1200 + k * 10,
      });
      this.rel('LOCATED_IN', id, rng.pick(computerRooms));
      this.rel('MAINTAINED_BY', id, rng.pick(this.hwSuppliers));
      for (const c of coreSwitches) this.rel('CONNECTS_TO', id, c);
      sanArrays.add(id);
      this.hub(id, 'san-array');
    }
    this.dcs.push({
      spec,
      dc,
      computerRooms,
      networkRoom,
      coreSwitches,
      aggregation,
      sanArrays,
      routers,
      rack: null,
      rackCount: 0,
      vcluster: null,
      hosts: [],
    });
    this.endUnit('foundation');
  }

  /** A rack slot in the centre: opens a new rack (with its ToR switch) when the current one is full. */
  private rackSlot(dc: DcState): { rack: number; tor: number } {
    if (!dc.rack || dc.rack.used >= 16) {
      const room = dc.computerRooms[dc.rackCount % dc.computerRooms.length];
      dc.rackCount++;
      const cc = dc.spec.cityCode;
      const rack = this.ci(
        'Rack',
        this.code(`RK-${cc}`, 5),
        `${dc.spec.city}机柜${dc.rackCount}`,
        this.teamOf.get('INFRASTRUCTURE')!,
        {
          rackUnits: 42,
          ratedPowerKw: 8,
          position: `R${dc.rackCount}`,
        },
      );
      this.rel('LOCATED_IN', rack, room);
      const tor = this.networkDevice('Switch', this.code(`SW-${cc}-TOR`, 5), `${dc.spec.city}接入交换机`, rack, {
        switchRole: 'ACCESS',
        networkZone: 'INTRANET',
        portCount: 48,
      });
      for (const a of dc.aggregation.get(room)!) this.rel('CONNECTS_TO', tor, a);
      dc.rack = { id: rack, tor, used: 0, room };
    }
    dc.rack.used++;
    return { rack: dc.rack.id, tor: dc.rack.tor };
  }

  /** A physical server racked, cabled to its ToR and both core switches, on the SAN. */
  private physicalServer(dc: DcState, role: string, owner: number, array: number): { id: number; tor: number } {
    const { rack, tor } = this.rackSlot(dc);
    const rng = this.rng;
    const serial = this.seq('serial-srv');
    const id = this.ci(
      'PhysicalServer',
      this.code(`SRV-${dc.spec.cityCode}`),
      `${dc.spec.city}物理服务器${serial}`,
      owner,
      {
        serialNumber: `SN-H${pad(serial, 8)}`,
        vendorModel: rng.pick(['Huawei 2288H V6', 'Inspur NF5280M6', 'Lenovo SR650', 'Dell R750']),
        managementIp: mgmtIp(this.seq('mgmt-ip')),
        cpuArchitecture: rng.chance(0.2) ? 'ARM64' : 'X86_64',
        serverRole: role,
        os: rng.pick(['VMware ESXi 7.0', 'openEuler 22.03', 'Kylin V10', 'RHEL 8.6']),
        cpuCores: rng.pick([32, 48, 64, 96]),
        memoryGb: rng.pick([256, 512, 768, 1024]),
        environment: dc.spec.environment,
        warrantyEndDate: date(rng, 2026, 2030),
      },
      rng.chance(0.02) ? 'MAINTENANCE' : 'IN_SERVICE',
    );
    this.rel('LOCATED_IN', id, rack);
    this.rel('CONNECTS_TO', id, tor);
    for (const c of dc.coreSwitches) this.rel('CONNECTS_TO', id, c);
    this.rel('USES_STORAGE', id, array);
    this.rel('MAINTAINED_BY', id, rng.pick(this.hwSuppliers));
    this.suppliedBy(id, 0.8);
    return { id, tor };
  }

  private sharedDatabaseCluster(dc: DcState): void {
    const rng = this.rng;
    const dba = this.teamOf.get('DATABASE')!;
    const k = this.seq('db-cluster');
    const cluster = this.ci('ServerCluster', `CL-DB-${pad(k, 3)}`, `共享数据库集群${k}`, dba, {
      clusterType: 'DATABASE',
      haMode: 'ACTIVE_STANDBY',
      nodeCount: 4,
      product: rng.pick(['Oracle RAC 19c', 'OceanBase 4.2', 'Dameng DM8 Cluster']),
    });
    const arrays = dc.sanArrays.drawMany(rng, 2);
    for (const a of arrays) this.rel('USES_STORAGE', cluster, a);
    this.rel('SUPPLIED_BY', cluster, this.supplier(rng.pick(['SUP-ORACLE', 'SUP-OCEANBASE', 'SUP-DAMENG'])));
    for (let s = 0; s < 4; s++) {
      this.rel('PART_OF', this.physicalServer(dc, 'DATABASE', dba, arrays[0]).id, cluster);
    }
    const dbs = rng.int(3, 6);
    for (let d = 0; d < dbs; d++) {
      const id = this.ci('Database', this.code('DB-SHARED', 4), `共享库${k}-${d + 1}`, dba, {
        engine: rng.pick(['ORACLE', 'OCEANBASE', 'DAMENG', 'GAUSSDB']),
        deployment: 'RAC',
        replicationRole: 'PRIMARY',
        serviceName: `shared${k}db${d + 1}`,
        listenPort: 1521,
        dataSizeGb: rng.int(500, 20_000),
        licenseType: 'COMMERCIAL',
      });
      this.rel('RUNS_ON', id, cluster);
      this.rel('USES_STORAGE', id, arrays[0]);
      this.sharedDbs.add(id);
      this.hub(id, 'shared-database');
    }
    this.endUnit('foundation');
  }

  private sharedMiddlewareCluster(dc: DcState): void {
    const rng = this.rng;
    const mwTeam = this.teamOf.get('MIDDLEWARE')!;
    const k = this.seq('mw-cluster');
    const cluster = this.ci('ServerCluster', `CL-MW-${pad(k, 3)}`, `共享中间件集群${k}`, mwTeam, {
      clusterType: 'MIDDLEWARE',
      haMode: 'LOAD_BALANCED',
      nodeCount: 3,
    });
    const array = dc.sanArrays.draw(rng);
    this.rel('USES_STORAGE', cluster, array);
    for (let s = 0; s < 3; s++) this.rel('PART_OF', this.physicalServer(dc, 'APPLICATION', mwTeam, array).id, cluster);
    const kinds: [string, string, number][] = [
      ['MESSAGE_QUEUE', 'RocketMQ', 9876],
      ['CACHE', 'Redis', 6379],
      ['API_GATEWAY', 'Kong', 8000],
      ['SERVICE_REGISTRY', 'Nacos', 8848],
      ['JOB_SCHEDULER', 'XXL-JOB', 8080],
      ['SEARCH_ENGINE', 'Elasticsearch', 9200],
    ];
    for (const [kind, product, port] of kinds) {
      const id = this.ci('Middleware', this.code('MW-SHARED', 4), `共享${product}${k}`, mwTeam, {
        kind,
        product,
        productVersion: `${rng.int(2, 8)}.${rng.int(0, 9)}`,
        listenPort: port,
        licenseType: 'OPEN_SOURCE',
      });
      this.rel('RUNS_ON', id, cluster);
      this.sharedMw.add(id);
      this.hub(id, 'shared-middleware');
    }
    this.endUnit('foundation');
  }

  private containerPlatform(dc: DcState): void {
    const k = this.seq('cp');
    const infra = this.teamOf.get('INFRASTRUCTURE')!;
    const cp = this.ci('ContainerPlatform', `CP-K8S-${pad(k, 2)}`, `容器云平台${k}`, infra, {
      platform: 'KUBERNETES',
      platformVersion: '1.28',
      apiEndpoint: `https://k8s${k}.pc-insure.example.cn:6443`,
      haMode: 'N_PLUS_ONE',
      nodeCount: 8,
    });
    const array = dc.sanArrays.draw(this.rng);
    this.rel('USES_STORAGE', cp, array);
    this.rel('SUPPLIED_BY', cp, this.supplier('SUP-REDHAT'));
    for (let s = 0; s < 8; s++) this.rel('PART_OF', this.physicalServer(dc, 'APPLICATION', infra, array).id, cp);
    this.containerPlatforms.add(cp);
    this.hub(cp, 'container-platform');
    this.endUnit('foundation');
  }

  // ---------------------------------------------------------------- applications

  /** A host with a free VM slot in the centre, racking a new one (and its cluster) when all are full. */
  private vmSlot(dc: DcState): { host: number; array: number; tor: number } {
    let open = dc.hosts[dc.hosts.length - 1];
    if (!open || open.free === 0) {
      const rng = this.rng;
      const infra = this.teamOf.get('INFRASTRUCTURE')!;
      if (!dc.vcluster || dc.vcluster.hosts >= 24) {
        const k = this.seq('vcluster');
        const id = this.ci('ServerCluster', `CL-VIRT-${pad(k, 5)}`, `${dc.spec.city}虚拟化集群${k}`, infra, {
          clusterType: 'VIRTUALIZATION',
          haMode: 'N_PLUS_ONE',
          product: rng.pick(['VMware vSphere 7', 'Huawei FusionCompute 8']),
        });
        this.rel('SUPPLIED_BY', id, this.supplier(rng.chance(0.6) ? 'SUP-VMWARE' : 'SUP-HUAWEI'));
        dc.vcluster = { id, hosts: 0 };
        if (this.seq('vcluster-hub') <= 3) this.hub(id, 'virtualization-cluster');
      }
      const array = dc.sanArrays.draw(rng);
      const host = this.physicalServer(dc, 'VIRTUALIZATION_HOST', infra, array);
      this.rel('PART_OF', host.id, dc.vcluster.id);
      dc.vcluster.hosts++;
      open = { id: host.id, free: rng.int(18, 30), array, tor: host.tor };
      dc.hosts = [open];
    }
    open.free--;
    return { host: open.id, array: open.array, tor: open.tor };
  }

  private placeDc(): DcState {
    const x = this.rng.next();
    let acc = 0;
    for (const dc of this.dcs) {
      acc += dc.spec.share;
      if (x < acc) return dc;
    }
    return this.dcs[0];
  }

  private vm(dc: DcState, owner: number, app: string): number {
    const rng = this.rng;
    const { host, array, tor } = this.vmSlot(dc);
    const n = this.seq('vm');
    const id = this.ci(
      'VirtualMachine',
      `VM-${dc.spec.cityCode}-${pad(n, 7)}`,
      `${app}虚拟机${n}`,
      owner,
      {
        hostname: `vm-${dc.spec.cityCode.toLowerCase()}-${pad(n, 7)}`,
        ipAddress: ip(10, n),
        os: rng.pick(['CentOS 7.9', 'Kylin V10', 'openEuler 22.03', 'Windows Server 2019']),
        cpuCores: rng.pick([4, 8, 16]),
        memoryGb: rng.pick([8, 16, 32, 64]),
        environment: dc.spec.environment,
      },
      this.leafState(),
    );
    this.rel('RUNS_ON', id, host);
    // Most VMs sit on the host's datastore; some get their own LUN on a (possibly other) array.
    this.rel('USES_STORAGE', id, rng.chance(0.85) ? array : dc.sanArrays.draw(rng));
    // Through its host's uplinks: the rack's ToR switch and both core switches.
    this.rel('CONNECTS_TO', id, tor);
    for (const c of dc.coreSwitches) this.rel('CONNECTS_TO', id, c);
    this.maintainedBy(id, 0.8);
    return id;
  }

  private *applications(budgetEnd: number): Generator<void> {
    const rng = this.rng;
    // About one business system per 110 CIs, below the 9,999 that systemId (SYS0000–SYS9999) allows.
    const target = Math.min(9_000, Math.max(3, Math.round(this.n / 110)));
    // Applications per system by importance, scaled as the walk goes so the systems fill the budget.
    const mix: [string, number, number, number][] = [
      // importance, share, min apps, max apps
      ['CORE', 0.03, 15, 45],
      ['IMPORTANT', 0.15, 6, 16],
      ['GENERAL', 0.47, 2, 8],
      ['OTHER', 0.35, 1, 3],
    ];
    const meanApps = mix.reduce((sum, [, share, lo, hi]) => sum + share * ((lo + hi) / 2), 0);
    const cumulative = new Float64Array(mix.map((_, i) => mix.slice(0, i + 1).reduce((sum, m) => sum + m[1], 0)));
    const start = this.emitted;
    let apps = 0;
    // Keep room for one business system and one application unit at the end of the budget.
    const room = () => this.emitted < budgetEnd - 60;
    while (room()) {
      if (this.systems.length >= 9_999) {
        const k = rng.int(0, this.systems.length - 1);
        this.application(this.systems[k], this.importanceOf[k]);
        apps++;
        yield;
        continue;
      }
      const perApp = apps >= 100 ? (this.emitted - start) / apps : 7.5;
      const systemsLeft = Math.max(1, target - this.systems.length);
      const scale = Math.max(0.2, (budgetEnd - this.emitted) / (systemsLeft * meanApps * perApp));
      const [importance, , lo, hi] = mix[rng.weighted(cumulative)];
      const count = Math.max(1, Math.round(rng.int(lo, hi) * scale));
      const bs = this.businessSystem(importance);
      yield;
      for (let a = 0; a < count && room(); a++) {
        this.application(bs, importance);
        apps++;
        yield;
      }
    }
  }

  private businessSystem(importance: string): number {
    const rng = this.rng;
    const k = this.systems.length + 1;
    const word = rng.pick(BUSINESS_WORDS);
    const owner = rng.chance(0.5) ? rng.pick(this.appTeams) : rng.pick(this.persons);
    const id = this.ci('BusinessSystem', `BS-${pad(k, 4)}`, `${word}系统${k}`, owner, {
      systemId: `SYS${pad(k, 4)}`,
      importance,
      mlpsLevel:
        importance === 'CORE'
          ? rng.pick(['LEVEL_3', 'LEVEL_4'])
          : importance === 'IMPORTANT'
            ? 'LEVEL_3'
            : rng.pick(['LEVEL_2', 'LEVEL_3']),
      internetFacing: rng.chance(importance === 'CORE' ? 0.6 : 0.25),
      branchScope: rng.pick(['HEAD_OFFICE', 'MULTI_PROVINCE', 'NATIONWIDE']),
      rtoMinutes: importance === 'CORE' ? 30 : importance === 'IMPORTANT' ? 120 : 480,
      rpoMinutes: importance === 'CORE' ? 0 : 15,
      serviceHours: importance === 'CORE' ? 'ALWAYS_7X24' : rng.pick(['EXTENDED_7X12', 'WORKDAY_5X8']),
      businessDepartment: `${word}部`,
    });
    this.byImportance[importance] = (this.byImportance[importance] ?? 0) + 1;
    if (importance === 'CORE' && !this.sampleCoreSystem) this.sampleCoreSystem = this.codes[id];
    const doc = this.ci('Document', `DOC-BS-${pad(k, 4)}-ARCH`, `${word}系统${k}架构文档`, owner, {
      docType: 'ARCHITECTURE',
      url: `https://docs.pc-insure.example.cn/bs/${k}/architecture`,
      docVersion: `v${rng.int(1, 5)}.0`,
    });
    this.rel('DOCUMENTED_BY', id, doc);
    // Systems lean on earlier systems (customer, payment, policy centres).
    const deps = this.systems.length ? rng.around(importance === 'OTHER' ? 1 : 2) : 0;
    const used = new Set<number>();
    for (let d = 0; d < deps; d++) {
      const other = this.systems[Math.floor(Math.pow(rng.next(), 2) * this.systems.length)];
      if (used.has(other)) continue;
      used.add(other);
      this.rel('DEPENDS_ON', id, other);
    }
    this.maintainedBy(id, 0.3);
    this.systems.push(id);
    this.importanceOf.push(importance);
    this.endUnit('applications');
    return id;
  }

  private application(bs: number, importance: string): void {
    const rng = this.rng;
    const dc = rng.chance(0.8) ? this.dcs[0] : this.placeDc();
    const team = rng.pick(this.appTeams);
    const owner = rng.chance(0.3) ? rng.pick(this.persons) : team;
    const k = this.seq('app');
    const microservices = rng.chance(0.2);
    const appType = microservices
      ? 'MICROSERVICES'
      : rng.pick(['WEB', 'API_SERVICE', 'BATCH', 'MOBILE_BACKEND', 'WEB']);
    const appCode = `APP-${pad(k, 6)}`;
    const name = `${rng.pick(BUSINESS_WORDS)}应用${k}`;

    // VMs first (or the platform's containers): the application and its components run on them.
    const vms: number[] = [];
    const vmCount = microservices ? 0 : 1 + rng.around(1.1);
    for (let v = 0; v < vmCount; v++) vms.push(this.vm(dc, team, name));
    // Core and important applications keep a standby VM in the remote DR centre for each production one.
    if (dc !== this.dcs[2] && (importance === 'CORE' || (importance === 'IMPORTANT' && rng.chance(0.5)))) {
      for (const prod of vms) this.rel('DR_COUNTERPART_OF', this.vm(this.dcs[2], team, name), prod);
    }

    const app = this.ci('Application', appCode, name, owner, {
      appType,
      techStack: rng.pick(['Java/Spring Boot', 'Java/WebLogic', '.NET', 'Go', 'Node.js']),
      releaseVersion: `${rng.int(1, 9)}.${rng.int(0, 20)}.${rng.int(0, 50)}`,
      internetFacing: rng.chance(0.2),
      licenseType: rng.chance(0.8) ? 'SELF_DEVELOPED' : 'OUTSOURCED_DEVELOPMENT',
      repositoryUrl: `https://git.pc-insure.example.cn/apps/${appCode.toLowerCase()}`,
    });
    if (importance === 'CORE' && !this.sampleApplication) this.sampleApplication = appCode;
    this.rel('BELONGS_TO', app, bs);
    const platform = microservices ? this.containerPlatforms.draw(rng) : -1;
    this.rel('RUNS_ON', app, microservices ? platform : vms[0]);

    // Shared services the application uses.
    if (rng.chance(0.75)) this.rel('DEPENDS_ON', app, this.sharedDbs.draw(rng));
    for (const mw of this.sharedMw.drawMany(rng, rng.around(1.3))) this.rel('DEPENDS_ON', app, mw);
    if (rng.chance(0.15)) this.rel('DEPENDS_ON', app, this.external.draw(rng));
    if (appType === 'WEB' || appType === 'MOBILE_BACKEND' || rng.chance(0.2))
      this.rel('DEPENDS_ON', app, this.loadBalancers.draw(rng));
    if (appType === 'WEB' && rng.chance(0.3)) this.rel('DEPENDS_ON', app, rng.pick(this.wafs));
    // Interfaces to other applications, mostly recent ones (often of the same system).
    const peers = new Set<number>();
    for (let p = rng.around(1.2); p > 0 && this.recentApps.length; p--) {
      peers.add(this.recentApps[rng.int(0, this.recentApps.length - 1)]);
    }
    for (const peer of peers) this.rel('DEPENDS_ON', app, peer);
    this.maintainedBy(app, 0.5);
    if (rng.chance(0.3)) this.rel('SUPPLIED_BY', app, rng.pick(this.softwareSuppliers));
    if (rng.chance(0.2)) {
      const doc = this.ci('Document', `DOC-${appCode}-OPS`, `${name}运维手册`, owner, {
        docType: 'OPERATIONS_MANUAL',
        url: `https://docs.pc-insure.example.cn/apps/${k}/ops`,
      });
      this.rel('DOCUMENTED_BY', app, doc);
    }

    // Its own database, now and then, on one of its VMs with a LUN of its own.
    let ownDb = -1;
    if (!microservices && rng.chance(0.25)) {
      const vmHost = vms[vms.length - 1];
      ownDb = this.ci('Database', `DB-${appCode.slice(4)}`, `${name}库`, this.teamOf.get('DATABASE')!, {
        engine: rng.pick(['MYSQL', 'POSTGRESQL', 'DAMENG', 'KINGBASE', 'TDSQL']),
        deployment: 'PRIMARY_STANDBY',
        replicationRole: 'PRIMARY',
        listenPort: 3306,
        dataSizeGb: rng.int(10, 2000),
        licenseType: 'OPEN_SOURCE',
      });
      this.rel('RUNS_ON', ownDb, vmHost);
      const n = this.seq('volume');
      const array = dc.sanArrays.draw(rng);
      const volume = this.ci('StorageVolume', `VOL-${pad(n, 7)}`, `${name}卷`, this.teamOf.get('INFRASTRUCTURE')!, {
        wwn: `60050768${n.toString(16).padStart(24, '0')}`,
        sizeGb: rng.pick([100, 200, 500, 1000]),
        volumeType: 'LUN',
        remoteReplication: importance === 'CORE',
      });
      this.rel('PROVISIONED_FROM', volume, array);
      this.rel('USES_STORAGE', ownDb, volume);
      this.rel('DEPENDS_ON', app, ownDb);
    }

    // Components: part of the application, on its VMs or in containers, calling each other.
    const components: number[] = [];
    const count = 1 + rng.around(microservices ? 3.5 : 1.6);
    for (let c = 0; c < count; c++) {
      const cmp = this.ci(
        'ApplicationComponent',
        `CMP-${appCode.slice(4)}-${pad(c + 1, 2)}`,
        `${name}组件${c + 1}`,
        owner,
        {
          componentType: rng.pick(['SERVICE', 'SERVICE', 'FRONTEND', 'BATCH_JOB', 'GATEWAY', 'INTERFACE_ADAPTER']),
          listenPort: rng.int(8000, 9999),
          deployedVersion: `${rng.int(1, 9)}.${rng.int(0, 20)}`,
          licenseType: 'SELF_DEVELOPED',
        },
        this.leafState(),
      );
      this.rel('PART_OF', cmp, app);
      if (microservices && rng.chance(0.3)) {
        const ctr = this.ci('Container', `CTR-${appCode.slice(4)}-${pad(c + 1, 2)}`, `${name}容器${c + 1}`, owner, {
          namespace: `app-${k}`,
          workloadType: 'DEPLOYMENT',
          image: `registry.pc-insure.example.cn/app-${k}/c${c + 1}:1.0`,
          replicas: rng.int(2, 6),
        });
        this.rel('RUNS_ON', ctr, platform);
        this.rel('RUNS_ON', cmp, ctr);
      } else {
        this.rel('RUNS_ON', cmp, microservices ? platform : vms[c % vms.length]);
      }
      // Calls to sibling components, the data they keep, the shared services they use.
      const siblings = new Set<number>();
      for (let p = rng.around(2); p > 0 && components.length; p--) {
        siblings.add(components[rng.int(0, components.length - 1)]);
      }
      for (const sibling of siblings) this.rel('DEPENDS_ON', cmp, sibling);
      if (ownDb >= 0 && rng.chance(0.6)) this.rel('DEPENDS_ON', cmp, ownDb);
      else if (rng.chance(0.4)) this.rel('DEPENDS_ON', cmp, this.sharedDbs.draw(rng));
      for (const mw of this.sharedMw.drawMany(rng, rng.around(1.3))) this.rel('DEPENDS_ON', cmp, mw);
      this.maintainedBy(cmp, 0.5);
      components.push(cmp);
    }
    this.recentApps.push(app);
    if (this.recentApps.length > 50) this.recentApps.shift();
    this.endUnit('applications');
  }

  // ---------------------------------------------------------------- offices

  private *endUser(): Generator<void> {
    const rng = this.rng;
    const desk = this.teamOf.get('DESKTOP_SUPPORT')!;
    while (this.emitted < this.n) {
      const office = this.offices[Math.floor(Math.pow(rng.next(), 1.5) * this.offices.length)];
      const serial = this.seq('serial-eud');
      if (rng.chance(0.75)) {
        const n = this.seq('desktop');
        const id = this.ci(
          'Desktop',
          `DT-${pad(n, 7)}`,
          `终端${n}`,
          desk,
          {
            serialNumber: `SN-D${pad(serial, 8)}`,
            deviceType: rng.chance(0.6) ? 'DESKTOP' : 'LAPTOP',
            vendorModel: rng.pick(['Lenovo M930', 'Huawei Qingyun L420', 'Dell OptiPlex 7090']),
            os: rng.pick(['UOS 20', 'Kylin V10', 'Windows 10']),
            ipAddress: ip(11, n),
            macAddress: mac(n),
            assignedUser: `E${pad(10_000 + rng.int(1, 900_000), 7)}`,
          },
          this.leafState(),
        );
        this.rel('LOCATED_IN', id, office.id);
        this.rel('CONNECTS_TO', id, rng.pick(office.switches));
        this.maintainedBy(id, 0.9);
        this.suppliedBy(id, 0.7);
      } else {
        const n = this.seq('peripheral');
        const connection = rng.pick(['USB', 'NETWORK', 'USB']);
        const id = this.ci(
          'Peripheral',
          `PER-${pad(n, 7)}`,
          `外设${n}`,
          desk,
          {
            serialNumber: `SN-P${pad(serial, 8)}`,
            peripheralType: rng.pick(['PRINTER', 'SCANNER', 'DOCUMENT_CAMERA', 'CARD_READER', 'PIN_PAD']),
            connection,
          },
          this.leafState(),
        );
        this.rel('LOCATED_IN', id, office.id);
        if (connection === 'NETWORK') this.rel('CONNECTS_TO', id, rng.pick(office.switches));
        this.maintainedBy(id, 0.8);
        this.suppliedBy(id, 0.5);
      }
      this.endUnit('end-user');
      yield;
    }
  }
}

// ------------------------------------------------------------------ facts

function factsOf(walk: EstateWalk, options: EstateOptions): EstateFacts {
  const n = walk.codes.length;
  const byClass: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const cls = walk.classNames[walk.classIds[i]];
    byClass[cls] = (byClass[cls] ?? 0) + 1;
  }
  const ranked = (id: number): RankedCI => ({
    code: walk.codes[id],
    class: walk.classNames[walk.classIds[id]],
    fanIn: walk.fanIn[id],
    directImpact: walk.impact[id],
    degree: walk.fanIn[id] + walk.fanOut[id],
  });
  // Sort ids by (metric, id) in one typed-array sort: metric·2^24 + id stays exact below 2^53.
  const order = (metric: Int32Array): Float64Array => {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = metric[i] * 16_777_216 + i;
    return keys.sort();
  };
  const idAt = (sorted: Float64Array, q: number) => sorted[Math.min(n - 1, Math.floor(q * n))] % 16_777_216;
  const byFanIn = order(walk.fanIn);
  const byImpact = order(walk.impact);
  const fanInAt = (q: number) => walk.fanIn[idAt(byFanIn, q)];
  // The median CI: among CIs with at least one dependant, the middle one (a leaf would be a dull pick).
  let firstDependant = 0;
  while (firstDependant < n && walk.impact[byImpact[firstDependant] % 16_777_216] === 0) firstDependant++;
  const medianId = byImpact[Math.floor((firstDependant + n) / 2)] % 16_777_216;
  const hubs = walk.hubs.map(({ id, ...h }) => ({ ...h, fanIn: walk.fanIn[id], directImpact: walk.impact[id] }));
  return {
    seed: options.seed,
    cis: n,
    relations: walk.relationCount,
    relationsPerCi: Math.round((walk.relationCount / n) * 100) / 100,
    byClass,
    byRelationType: walk.byRelationType,
    byLifecycle: walk.byLifecycle,
    businessSystemsByImportance: walk.byImportance,
    hubs,
    fanInPercentiles: {
      p50: fanInAt(0.5),
      p90: fanInAt(0.9),
      p99: fanInAt(0.99),
      p999: fanInAt(0.999),
      max: walk.fanIn[idAt(byFanIn, 1)],
    },
    picks: {
      median: ranked(medianId),
      p99FanIn: ranked(idAt(byFanIn, 0.99)),
      maxFanIn: ranked(idAt(byFanIn, 1)),
      p99Impact: ranked(idAt(byImpact, 0.99)),
      maxImpact: ranked(idAt(byImpact, 1)),
    },
    sampleCoreSystem: walk.sampleCoreSystem,
    sampleApplication: walk.sampleApplication,
  };
}

// ------------------------------------------------------------------ the API

/**
 * The estate of `cis` CIs for `seed`. Nothing is generated until batches() or facts() is called;
 * the same options always give the same CIs and relations in the same order, whatever the batch size.
 */
export function generateEstate(options: EstateOptions): Estate {
  let facts: EstateFacts | null = null;
  const estate: Estate = {
    options,
    *batches(maxCis: number): Generator<EstateBatch> {
      if (!Number.isInteger(maxCis) || maxCis < 1) throw new Error('batch size must be a positive integer');
      // The walk queues whole units (a CI with the relations its baseline needs); they are packed into
      // batches as they come, never split, so only the batch being filled is held.
      const queue: Unit[] = [];
      const walk = new EstateWalk(options, (unit) => queue.push(unit));
      let batch: EstateBatch = { cis: [], relations: [], section: 'foundation', index: 0 };
      for (const _ of walk.steps()) {
        for (const unit of queue) {
          if (batch.cis.length > 0 && batch.cis.length + unit.cis.length > maxCis) {
            yield batch;
            batch = { cis: [], relations: [], section: unit.section, index: batch.index + 1 };
          }
          if (batch.cis.length === 0) batch.section = unit.section;
          for (const c of unit.cis) batch.cis.push(c);
          for (const r of unit.relations) batch.relations.push(r);
        }
        queue.length = 0;
      }
      if (batch.cis.length || batch.relations.length) yield batch;
      if (walk.emitted !== options.cis) throw new Error(`estate has ${walk.emitted} CIs, not ${options.cis}`);
      facts = factsOf(walk, options);
    },
    facts(): EstateFacts {
      if (!facts) for (const _ of estate.batches(100_000));
      return facts!;
    },
  };
  return estate;
}

/** Facts of an estate (walks it once if it has not been walked yet). */
export function estateFacts(estate: Estate): EstateFacts {
  return estate.facts();
}
