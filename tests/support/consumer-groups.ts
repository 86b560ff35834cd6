import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { testSasl } from './kafka-access.ts';
import { testEnv } from './test-infra.ts';

export interface GroupMember {
  clientId: string;
  /** topic (as on the wire, prefix included) → partitions this member owns */
  assignment: Record<string, number[]>;
}

export interface GroupView {
  groupId: string;
  state: string;
  members: GroupMember[];
}

/** The broker's view of consumer groups: who is in them and which partitions each member owns. */
export async function describeConsumerGroups(groupIds: string[]): Promise<GroupView[]> {
  const admin = new Kafka({ clientId: 'group-probe', brokers: testEnv.KAFKA_BROKERS, logLevel: logLevel.NOTHING, ...testSasl() }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups(groupIds);
    return groups.map((group) => ({
      groupId: group.groupId,
      state: group.state,
      members: group.members.map((member) => ({
        clientId: member.clientId,
        assignment: member.memberAssignment.length > 0 ? (AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {}) : {},
      })),
    }));
  } finally {
    await admin.disconnect();
  }
}
