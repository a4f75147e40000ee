// The pure layout of LangGraph state in session checkpoints (packages/langgraph/src/records.ts).
import { describe, expect, it } from 'vitest';
import {
  RECORD_FORMAT,
  channelEntries,
  mergeWrites,
  parseRecord,
  type CheckpointRecord,
  type TypedBlob,
  type WritesRecord,
} from '../../packages/langgraph/src/records.js';

const blob = (data: string): TypedBlob => ({ type: 'json', data });

function writesRecord(taskId: string, writes: [number, string, string][], taskPath = ''): WritesRecord {
  return {
    langgraph: 'writes',
    format: RECORD_FORMAT,
    thread_id: 't',
    checkpoint_ns: '',
    checkpoint_id: 'c',
    task_id: taskId,
    task_path: taskPath,
    writes: writes.map(([idx, channel, data]) => ({ idx, channel, value: blob(data) })),
  };
}

function checkpointRecord(channels: CheckpointRecord['channels']): CheckpointRecord {
  return {
    langgraph: 'checkpoint',
    format: RECORD_FORMAT,
    thread_id: 't',
    checkpoint_ns: '',
    checkpoint_id: 'p',
    parent_checkpoint_id: null,
    checkpoint: blob('cp'),
    metadata: blob('meta'),
    channels,
  };
}

describe('mergeWrites', () => {
  it('keeps the first record of a regular write and the last of a special one', () => {
    const merged = mergeWrites([
      writesRecord('a', [
        [0, 'animals', 'dog'],
        [-1, '__error__', 'first error'],
      ]),
      writesRecord('a', [
        [0, 'animals', 'cat'],
        [-1, '__error__', 'second error'],
      ]),
    ]);
    expect(merged.map((write) => [write.idx, write.value.data])).toEqual([
      [-1, 'second error'],
      [0, 'dog'],
    ]);
  });

  it('orders writes by task path, then task id, then index', () => {
    const merged = mergeWrites([
      writesRecord(
        'b',
        [
          [0, 'x', 'b0'],
          [1, 'x', 'b1'],
        ],
        '~1',
      ),
      writesRecord('z', [[0, 'x', 'input']], ''),
      writesRecord('a', [[0, 'x', 'a0']], '~1'),
    ]);
    expect(merged.map((write) => write.value.data)).toEqual(['input', 'a0', 'b0', 'b1']);
  });
});

describe('channelEntries', () => {
  const parent = {
    sessionCheckpointId: 'ckpt_parent',
    record: checkpointRecord({
      inline: { version: 1, value: blob('v') },
      carried: { version: 3, ref: 'ckpt_grandparent' },
      empty: { version: 2 },
      changed: { version: 1, value: blob('old') },
    }),
  };

  it.each([
    ['a channel in newVersions with a value is stored inline', 'fresh', 1, { fresh: 1 }, { version: 1, value: blob('new') }],
    ['a channel in newVersions without a value is stored as its version alone', 'gone', 4, { gone: 4 }, { version: 4 }],
    ["an unchanged channel refers to the parent's session checkpoint", 'inline', 1, {}, { version: 1, ref: 'ckpt_parent' }],
    ["an unchanged channel the parent refers on keeps the parent's reference", 'carried', 3, {}, { version: 3, ref: 'ckpt_grandparent' }],
    ['an unchanged empty channel stays empty', 'empty', 2, {}, { version: 2 }],
    ['a channel whose version differs from the parent and is not new has no entry', 'changed', 2, {}, undefined],
  ])('%s', (_name, channel, version, newVersions, expected) => {
    const entries = channelEntries({ [channel]: version }, newVersions, { fresh: blob('new') }, parent);
    expect(entries[channel]).toEqual(expected);
  });

  it('stores nothing for a channel without a parent unless it is new', () => {
    expect(channelEntries({ a: 1, b: 1 }, { a: 1 }, { a: blob('x') }, null)).toEqual({ a: { version: 1, value: blob('x') } });
  });
});

describe('parseRecord', () => {
  it('reads its own records and nothing else', () => {
    const record = checkpointRecord({});
    expect(parseRecord(record)).toEqual(record);
    expect(parseRecord({ note: 'a checkpoint taken by hand' })).toBeNull();
    expect(parseRecord({ ...record, format: RECORD_FORMAT + 1 })).toBeNull();
  });
});
