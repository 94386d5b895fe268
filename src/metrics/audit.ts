import { gauge, histogram } from './registry';

const appendDuration = histogram(
  'interlock_audit_append_duration_seconds',
  'Duration of one audit append call (group commit included), by outcome (succeeded, failed)',
  ['outcome'],
);
const available = gauge(
  'interlock_audit_store_available',
  'Whether the last audit append succeeded (1) or failed (0); 1 until a first append fails',
);
available.set(1);

/** Times one audit append and keeps the store's availability from its outcome. */
export async function timeAuditAppend<T>(append: () => Promise<T>, isRefusal: (error: unknown) => boolean): Promise<T> {
  const end = appendDuration.startTimer();
  try {
    const result = await append();
    end({ outcome: 'succeeded' });
    available.set(1);
    return result;
  } catch (error) {
    end({ outcome: 'failed' });
    // An event refused for its content says nothing about the store.
    if (!isRefusal(error)) available.set(0);
    throw error;
  }
}
