import type { PublicUser, RoomEvent } from '../types.js';

function who(user: PublicUser | null | undefined): string {
  return user ? user.displayName || user.username : 'Someone';
}

type Person = PublicUser | null | undefined;

/** The activity line a stored event shows in the timeline, or null for events that show none (messages, profiles).
 * `current` names a person as they are called now. */
export function activityText(e: RoomEvent, current: (user: Person) => Person = (u) => u): string | null {
  const payloadUser = current(e.payload.user as PublicUser | undefined);
  const actor = current(e.actor);
  switch (e.type) {
    case 'member.joined':
      return actor && payloadUser && actor.id !== payloadUser.id
        ? `${who(actor)} added ${who(payloadUser)}`
        : `${who(payloadUser)} joined`;
    case 'member.left':
      return e.payload.reason === 'removed' ? `${who(actor)} removed ${who(payloadUser)}` : `${who(payloadUser)} left`;
    case 'member.role':
      return `${who(payloadUser)} is now ${String(e.payload.role)}`;
    case 'room.updated': {
      const { name, topic } = e.payload as { name?: string; topic?: string };
      const changed = (e.payload.changed as string[] | undefined) ?? [];
      const parts: string[] = [];
      if (changed.includes('name')) parts.push(`renamed the room to “${name ?? ''}”`);
      if (changed.includes('topic')) parts.push(topic ? `set the topic to “${topic}”` : 'cleared the topic');
      return `${who(actor)} ${parts.join(' and ') || 'updated the room'}`;
    }
    default:
      return null;
  }
}

/** Which run of like lines an event belongs to: people joining by themselves, or leaving by themselves. */
export function activityRun(e: RoomEvent): 'joined' | 'left' | null {
  const user = e.payload.user as PublicUser | undefined;
  if (e.type === 'member.joined' && (!e.actor || e.actor.id === user?.id)) return 'joined';
  if (e.type === 'member.left' && e.payload.reason !== 'removed') return 'left';
  return null;
}

/** People listed in a run's line before "and N others". */
const NAMED = 3;

/**
 * One line for a run of joins (or leaves) in a row: "ann, ben, cid and 7 others joined". A big room's timeline is
 * otherwise a wall of "X joined" lines.
 */
export function activityRunText(events: readonly RoomEvent[], current: (user: Person) => Person = (u) => u): string {
  const verb = activityRun(events[0]!) ?? 'joined';
  const names = events.map((e) => who(current(e.payload.user as PublicUser | undefined)));
  if (names.length === 1) return `${names[0]} ${verb}`;
  if (names.length <= NAMED + 1) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} ${verb}`;
  const others = names.length - NAMED;
  return `${names.slice(0, NAMED).join(', ')} and ${others} others ${verb}`;
}
