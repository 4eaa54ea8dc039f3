import { eventIdFromKey, eventIdKey } from '../../../src/projections/merkle/event-id-key';

describe('event ids as the Merkle leaves keep them', () => {
  it('keeps a lower-case uuid as its 16 bytes and reads the same uuid back', () => {
    const id = '193c4d05-619a-4939-8955-ca3ddc2796cf';
    const key = eventIdKey(id);
    expect(key).toEqual(Buffer.from('193c4d05619a49398955ca3ddc2796cf', 'hex'));
    expect(eventIdFromKey(key)).toBe(id);
  });

  it('keeps any other id as its text, so it reads back unchanged', () => {
    for (const id of ['193C4D05-619A-4939-8955-CA3DDC2796CF', 'not-a-uuid', '']) expect(eventIdFromKey(eventIdKey(id))).toBe(id);
  });
});
