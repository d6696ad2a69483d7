// The roles of JR/T 0079—2025 Annex A that touch the CMDB, their incompatibilities, and the
// permission matrix: which role may do what. Resolvers name a Permission, never a role.

export enum Role {
  CONFIG_MANAGER = 'CONFIG_MANAGER', // 配置经理
  CONFIG_ADMIN = 'CONFIG_ADMIN', // 配置管理员
  OPS_MANAGER = 'OPS_MANAGER', // 运维经理
  OPS_ENGINEER = 'OPS_ENGINEER', // 运维岗
  CHANGE_ASSESSOR = 'CHANGE_ASSESSOR', // 变更评估岗
  PROBLEM_MANAGER = 'PROBLEM_MANAGER', // 问题经理
  CONTINUITY_MANAGER = 'CONTINUITY_MANAGER', // 连续性经理
  SECURITY_MANAGER = 'SECURITY_MANAGER', // 信息安全经理
  AUDITOR = 'AUDITOR', // 只读审计
  DISCOVERY = 'DISCOVERY', // 自动发现工具 (a machine identity)
  DEV_MANAGER = 'DEV_MANAGER', // 开发经理
  DEVELOPER = 'DEVELOPER', // 开发岗
  TEST_MANAGER = 'TEST_MANAGER', // 测试经理
  TESTER = 'TESTER', // 测试岗
  EXPERT_PANEL = 'EXPERT_PANEL', // 专家团队: approves major changes after the operations manager (§7.2.5.3)
  ORG_HEAD = 'ORG_HEAD', // 机构负责人: approves emergency changes raised in the organisation (§7.2.5.3)
  ITSM = 'ITSM', // IT服务管理平台 (a machine identity): records tickets that were approved there
}

export const ROLE_LABELS_ZH: Record<Role, string> = {
  CONFIG_MANAGER: '配置经理',
  CONFIG_ADMIN: '配置管理员',
  OPS_MANAGER: '运维经理',
  OPS_ENGINEER: '运维岗',
  CHANGE_ASSESSOR: '变更评估岗',
  PROBLEM_MANAGER: '问题经理',
  CONTINUITY_MANAGER: '连续性经理',
  SECURITY_MANAGER: '信息安全经理',
  AUDITOR: '审计(只读)',
  DISCOVERY: '自动发现',
  DEV_MANAGER: '开发经理',
  DEVELOPER: '开发岗',
  TEST_MANAGER: '测试经理',
  TESTER: '测试岗',
  EXPERT_PANEL: '专家团队',
  ORG_HEAD: '机构负责人',
  ITSM: 'IT服务管理平台',
};

const OPS = [Role.OPS_MANAGER, Role.OPS_ENGINEER];
const DEV = [Role.DEV_MANAGER, Role.DEVELOPER];
const TEST = [Role.TEST_MANAGER, Role.TESTER];

/** Annex A table A.1 不相容岗位: operations, development and testing exclude each other. */
export const INCOMPATIBLE_ROLES: ReadonlyArray<readonly [Role, Role]> = [
  ...pairs(OPS, DEV),
  ...pairs(OPS, TEST),
  ...pairs(DEV, TEST),
];

function pairs(a: Role[], b: Role[]): [Role, Role][] {
  return a.flatMap((x) => b.map((y): [Role, Role] => [x, y]));
}

/** The first incompatible pair among the roles, or undefined. */
export function findIncompatiblePair(roles: readonly Role[]): readonly [Role, Role] | undefined {
  return INCOMPATIBLE_ROLES.find(([a, b]) => roles.includes(a) && roles.includes(b));
}

export enum Permission {
  /** Read CIs, relationships and the model. */
  READ_CMDB = 'READ_CMDB',
  /** Create, update, retire CIs; create and end relationships. */
  WRITE_CI = 'WRITE_CI',
  /** Report discovered facts (attributes owned by discovery). */
  DISCOVER = 'DISCOVER',
  /** Record tickets that authorise changes (changes, incidents, releases, requests, audits) and move them along. */
  WRITE_TICKET = 'WRITE_TICKET',
  /** Edit the configuration model. */
  EDIT_MODEL = 'EDIT_MODEL',
  /** Read the operation log. */
  READ_OPLOG = 'READ_OPLOG',
  /** Load demo data, run migrations and jobs: operator actions. */
  OPERATE = 'OPERATE',
}

const MACHINES = [Role.DISCOVERY, Role.ITSM];
const READERS = Object.values(Role).filter((r) => !MACHINES.includes(r));

/** The documented permission matrix (README § Security). */
export const PERMISSION_MATRIX: Record<Permission, readonly Role[]> = {
  READ_CMDB: [...READERS, ...MACHINES],
  WRITE_CI: [Role.CONFIG_MANAGER, Role.CONFIG_ADMIN, Role.OPS_MANAGER, Role.OPS_ENGINEER],
  DISCOVER: [Role.DISCOVERY, Role.CONFIG_MANAGER],
  WRITE_TICKET: [
    Role.CONFIG_MANAGER,
    Role.CONFIG_ADMIN,
    Role.OPS_MANAGER,
    Role.OPS_ENGINEER,
    Role.CHANGE_ASSESSOR,
    Role.PROBLEM_MANAGER,
    Role.EXPERT_PANEL,
    Role.ORG_HEAD,
    Role.ITSM,
  ],
  EDIT_MODEL: [Role.CONFIG_MANAGER],
  READ_OPLOG: [Role.SECURITY_MANAGER, Role.AUDITOR, Role.CONFIG_MANAGER],
  OPERATE: [Role.CONFIG_MANAGER],
};

export function rolesAllow(roles: readonly Role[], permission: Permission): boolean {
  return roles.some((r) => PERMISSION_MATRIX[permission].includes(r));
}
