import { DomainError } from '../../../src/domain/errors';
import { isBlank, optionalText, requireText } from '../../../src/domain/text';

describe('text that shows nothing', () => {
  const invisible = ['', ' \t\n', '\u200b', '\u200c\u200d', '\u2060', '\ufeff', '\u200e\u200f', '\u202a\u202e\u202c', '\u2066\u2069', '\u00ad', '\u180e', '\u3164', '\ufe0f', '\u034f'];

  it.each(invisible.map((text) => [JSON.stringify(text), text]))('counts %s as blank', (_, text) => {
    expect(isBlank(text)).toBe(true);
    expect(() => requireText(text, 'title', 200)).toThrow(new DomainError('invalid', 'title must not be empty', 'title'));
    expect(optionalText(text, 'quote', 200)).toBeUndefined();
    expect(requireText(text, 'summary', 200, 0)).toBe('');
  });

  it.each(['a', '\u200bx', '٣', '\u0301a', '🙂', '\u05d0\u200f'])('keeps %j, which shows something', (text) => {
    expect(isBlank(text)).toBe(false);
    expect(requireText(text, 'title', 200)).toBe(text.trim());
  });
});
