import type { Registry } from 'prom-client';
import type { DeadLetterPublisher } from '../dead-letters/dead-letter-publisher.ts';
import { counter } from './metrics.ts';
import { noteMessageOutcome } from './messaging-tracing.ts';

/**
 * The dead-letter publisher, counted: `dead_letters_published_total{topic}` (the original topic,
 * a bounded set) once the broker acknowledged the dead letter, and the reason on the active span.
 */
export function countedDeadLetters(publisher: DeadLetterPublisher, metrics: Registry): DeadLetterPublisher {
  const published = counter(metrics, 'dead_letters_published_total', 'Records sent to a dead-letter topic, by original topic', ['topic']);
  return {
    async publish(record, reason, attempts) {
      await publisher.publish(record, reason, attempts);
      published.inc({ topic: record.topic });
      noteMessageOutcome('dead-lettered', reason);
    },
  };
}
