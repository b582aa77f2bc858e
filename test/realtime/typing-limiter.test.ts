import t from 'tap';
import { TypingLimiter } from '../../server/realtime/typing.js';

t.test('typing notices: one broadcast per interval per user and room, and a per-minute limit', async (t) => {
  const limiter = new TypingLimiter(2000, 3);
  t.same(limiter.check('r', 'u', 0), { allowed: true, broadcast: true });
  t.same(limiter.check('r', 'u', 1000), { allowed: true, broadcast: false }, 'absorbed within the interval');
  t.same(limiter.check('r2', 'u', 1000), { allowed: true, broadcast: true }, 'another room counts apart');
  t.same(limiter.check('r', 'u', 2500), { allowed: true, broadcast: true });
  t.same(limiter.check('r', 'u', 3000), { allowed: false, retryAfterS: 57 }, 'the fourth call in a minute is refused');
  t.same(limiter.check('r', 'u', 60_001), { allowed: true, broadcast: true }, 'a new window starts after a minute');
});
