/**
 * English and Simplified Chinese. The language follows the system (navigator.language) until the user
 * picks one; the choice is remembered. Messages are [English, 中文] pairs keyed by id, with {name}
 * placeholders. API errors arrive in English from the host; in Chinese they are labelled "服务器："
 * (api.ts messageOf), and the New-run field messages are rebuilt in the UI's language (field-errors.ts).
 */
import { messages, type MessageId } from './messages.ts';

export type Language = 'en' | 'zh';
const STORAGE_KEY = 'rnnwb.language';

function initialLanguage(): Language {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

class I18n {
  language = $state<Language>(initialLanguage());

  constructor() {
    document.documentElement.lang = this.language === 'zh' ? 'zh-CN' : 'en';
  }

  set(language: Language): void {
    this.language = language;
    localStorage.setItem(STORAGE_KEY, language);
    document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  }

  t = (id: MessageId, vars: Record<string, string | number> = {}): string => {
    const pair = messages[id];
    const text = pair[this.language === 'zh' ? 1 : 0];
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
  };

  number(value: number, digits = 0): string {
    return value.toLocaleString(this.language === 'zh' ? 'zh-CN' : 'en-US', {
      maximumFractionDigits: digits,
      minimumFractionDigits: digits,
    });
  }
}

export const i18n = new I18n();
export const t = i18n.t;
