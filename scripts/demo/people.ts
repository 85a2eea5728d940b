import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { normalizePhone } from '@hub/customer';
import { testPlatformId } from '@hub/channels-meta/testing';
import type { Rng } from './prng';

/**
 * The people of the demo day: each has one phone and one email, and an id on every messaging
 * platform, but reaches the company only on the channels they prefer, written the way each provider
 * writes them. Pure: everything comes from the generator.
 */

export type Language = 'en' | 'es' | 'fr' | 'de' | 'ar' | 'he' | 'ja';

/** The channels a person may start a conversation on (orders and surveys follow from those). */
export const CONTACT_CHANNELS = ['sms', 'whatsapp', 'email', 'voice', 'webchat', 'messenger', 'instagram', 'telegram'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

export interface Person {
  id: string;
  firstName: string;
  lastName: string;
  language: Language;
  country: CountryCode;
  /** E.164, as the hub keys it. */
  phone: string;
  /** Lower-case, as the hub keys it. */
  email: string;
  /** Page-scoped (Messenger) and Instagram-scoped ids, Telegram user id, web-chat visitor id. */
  psid: string;
  igsid: string;
  telegramId: number;
  webchatVisitorId: string;
  /** Where they start conversations, with how much they use each. */
  channels: readonly (readonly [ContactChannel, number])[];
  /** How much of the day's traffic is theirs, relative to others. */
  activity: number;
  /** Buys in the shop today. */
  shopper: boolean;
}

/** How often each channel is chosen for a person's channel set (a retailer's mix). */
export const CHANNEL_POPULARITY: readonly (readonly [ContactChannel, number])[] = [
  ['whatsapp', 22],
  ['sms', 18],
  ['email', 18],
  ['voice', 16],
  ['webchat', 14],
  ['messenger', 9],
  ['instagram', 6],
  ['telegram', 4],
];

interface Locale {
  country: CountryCode;
  language: Language;
  weight: number;
  /** A random national significant number that is a mobile number of the country. */
  mobile(rng: Rng): string;
}

const digits = (rng: Rng, n: number): string => Array.from({ length: n }, () => String(rng.int(0, 9))).join('');

const LOCALES: readonly Locale[] = [
  // 555-01XX numbers are reserved for fiction in North America.
  {
    country: 'US',
    language: 'en',
    weight: 46,
    mobile: (r) => `${r.pick(['415', '650', '212', '312', '617', '206', '512', '303', '404', '305'])}55501${digits(r, 2)}`,
  },
  { country: 'US', language: 'es', weight: 6, mobile: (r) => `${r.pick(['305', '213', '512', '718'])}55501${digits(r, 2)}` },
  { country: 'GB', language: 'en', weight: 14, mobile: (r) => `7400${digits(r, 6)}` },
  { country: 'ES', language: 'es', weight: 7, mobile: (r) => `6${digits(r, 8)}` },
  { country: 'FR', language: 'fr', weight: 6, mobile: (r) => `6${digits(r, 8)}` },
  { country: 'DE', language: 'de', weight: 6, mobile: (r) => `151${digits(r, 8)}` },
  { country: 'AU', language: 'en', weight: 5, mobile: (r) => `4${r.int(0, 9)}${digits(r, 7)}` },
  { country: 'AE', language: 'ar', weight: 4, mobile: (r) => `50${digits(r, 7)}` },
  { country: 'IL', language: 'he', weight: 3, mobile: (r) => `5${r.pick(['0', '2', '4'])}${digits(r, 7)}` },
  { country: 'JP', language: 'ja', weight: 3, mobile: (r) => `90${digits(r, 8)}` },
];

const NAMES: Readonly<Record<Language, { first: readonly string[]; last: readonly string[] }>> = {
  en: {
    first: [
      'Olivia',
      'Liam',
      'Emma',
      'Noah',
      'Ava',
      'James',
      'Sophia',
      'Lucas',
      'Mia',
      'Ethan',
      'Amelia',
      'Mason',
      'Harper',
      'Logan',
      'Ella',
      'Jack',
      'Grace',
      'Henry',
      'Chloe',
      'Samuel',
      'Zoe',
      'Owen',
      'Lily',
      'Daniel',
      'Nora',
      'Aiden',
      'Priya',
      'Wei',
      'Kofi',
      'Aisha',
    ],
    last: [
      'Smith',
      'Johnson',
      'Williams',
      'Brown',
      'Jones',
      'Miller',
      'Davis',
      'Wilson',
      'Taylor',
      'Anderson',
      'Thomas',
      'Moore',
      'Clark',
      'Lewis',
      'Walker',
      'Young',
      'Hall',
      'Allen',
      'King',
      'Wright',
      'Scott',
      'Green',
      'Baker',
      'Adams',
      'Nelson',
      'Carter',
      'Patel',
      'Chen',
      'Okafor',
      "O'Brien",
    ],
  },
  es: {
    first: ['María', 'José', 'Lucía', 'Javier', 'Carmen', 'Diego', 'Sofía', 'Pablo', 'Elena', 'Andrés'],
    last: ['García', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Fernández', 'Ruiz', 'Díaz', 'Moreno'],
  },
  fr: {
    first: ['Camille', 'Louis', 'Chloé', 'Hugo', 'Léa', 'Jules', 'Manon', 'Arthur'],
    last: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Lefèvre'],
  },
  de: {
    first: ['Lena', 'Jonas', 'Hannah', 'Felix', 'Mia', 'Leon', 'Anna', 'Paul'],
    last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker'],
  },
  ar: { first: ['Farid', 'Layla', 'Omar', 'Noor', 'Yousef', 'Amira'], last: ['Haddad', 'Khalil', 'Nasser', 'Saleh', 'Mansour'] },
  he: { first: ['Dana', 'Noa', 'Yael', 'Itai', 'Avi'], last: ['Levi', 'Cohen', 'Mizrahi', 'Peretz'] },
  ja: { first: ['Hiro', 'Yuki', 'Aiko', 'Kenji', 'Sakura'], last: ['Tanaka', 'Suzuki', 'Sato', 'Watanabe'] },
};

const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com', 'example.co.uk'];

/** ASCII letters of a name, for an email local part: `Lefèvre` → `lefevre`, `O'Brien` → `obrien`. */
export const asciiName = (name: string): string =>
  name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();

/** How many channels a person uses today: most one or two, some everything. */
const CHANNEL_COUNT: readonly (readonly [number, number])[] = [
  [1, 30],
  [2, 34],
  [3, 24],
  [4, 12],
];

function pickChannels(rng: Rng): (readonly [ContactChannel, number])[] {
  const count = rng.weighted(CHANNEL_COUNT);
  const left = [...CHANNEL_POPULARITY];
  const chosen: (readonly [ContactChannel, number])[] = [];
  while (chosen.length < count) {
    const channel = rng.weighted(left.map(([c, w]) => [c, w] as const));
    left.splice(
      left.findIndex(([c]) => c === channel),
      1,
    );
    // The first channel chosen is their favourite.
    chosen.push([channel, chosen.length === 0 ? 3 : rng.pick([1, 1, 2])]);
  }
  return chosen;
}

export interface PersonOverrides {
  firstName: string;
  lastName: string;
  language: Language;
  country: CountryCode;
  phone: string;
  email: string;
  channels: readonly (readonly [ContactChannel, number])[];
}

/**
 * `count` people, the first `scripted.length` of them as given (the demo's scripted characters).
 * Phones and emails are unique; every phone is a valid mobile number of the person's country.
 */
export function makePeople(rng: Rng, count: number, scripted: readonly PersonOverrides[] = []): Person[] {
  const phones = new Set<string>(scripted.map((s) => s.phone));
  const emails = new Set<string>(scripted.map((s) => s.email));
  const telegramIds = new Set<number>();
  const people: Person[] = [];
  for (let n = 0; n < count; n++) {
    const id = `p${String(n + 1).padStart(4, '0')}`;
    const handles = {
      psid: testPlatformId(`psid:${id}:${rng.int(0, 1e9)}`),
      igsid: testPlatformId(`igsid:${id}:${rng.int(0, 1e9)}`),
      telegramId: uniqueTelegramId(rng, telegramIds),
      webchatVisitorId: `${rng.int(1, 9)}${digits(rng, 12)}`,
    };
    const script = scripted[n];
    if (script) {
      people.push({ id, ...script, ...handles, activity: 1, shopper: true });
      continue;
    }
    const locale = rng.weighted(LOCALES.map((l) => [l, l.weight] as const));
    const names = NAMES[locale.language];
    const firstName = rng.pick(names.first);
    const lastName = rng.pick(names.last);
    people.push({
      id,
      firstName,
      lastName,
      language: locale.language,
      country: locale.country,
      phone: uniquePhone(rng, locale, phones),
      email: uniqueEmail(rng, firstName, lastName, emails),
      ...handles,
      channels: pickChannels(rng),
      // Log-uniform from 1 to ~7: a few people write all day, most once or twice.
      activity: Math.exp(rng.next() * 2),
      shopper: rng.chance(0.45),
    });
  }
  return people;
}

function uniquePhone(rng: Rng, locale: Locale, taken: Set<string>): string {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const parsed = parsePhoneNumberFromString(locale.mobile(rng), locale.country);
    const normalized = parsed ? normalizePhone(parsed.number) : undefined;
    if (normalized?.ok && !taken.has(normalized.identity.value)) {
      taken.add(normalized.identity.value);
      return normalized.identity.value;
    }
  }
  throw new Error(`no free ${locale.country} phone number left: plan fewer customers`);
}

function uniqueEmail(rng: Rng, first: string, last: string, taken: Set<string>): string {
  const domain = rng.pick(EMAIL_DOMAINS);
  const local = rng.pick([
    `${asciiName(first)}.${asciiName(last)}`,
    `${asciiName(first)}${asciiName(last)}`,
    `${asciiName(first).charAt(0)}${asciiName(last)}`,
  ]);
  for (let n = 0; ; n++) {
    const email = `${local}${n === 0 ? '' : n + 1}@${domain}`;
    if (!taken.has(email)) {
      taken.add(email);
      return email;
    }
  }
}

function uniqueTelegramId(rng: Rng, taken: Set<number>): number {
  for (;;) {
    const id = rng.int(100_000_000, 6_999_999_999);
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// How providers write a person's phone and email
// ---------------------------------------------------------------------------------------------

export type PhoneStyle = 'e164' | 'international' | 'national' | 'digits';

/**
 * The phone as a provider writes it: `+16505550123`, `+1 650 555 0123`, `(650) 555-0123` (needs
 * the country to read back), `16505550123` (WhatsApp ids, Telegram contacts).
 */
export function writePhone(e164: string, style: PhoneStyle): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) throw new Error(`not a phone number: ${e164}`);
  switch (style) {
    case 'e164':
      return parsed.number;
    case 'international':
      // North American numbers are usually written with dashes: +1 650-555-0123.
      return parsed.countryCallingCode === '1'
        ? parsed.formatInternational().replace(/^(\+1) (\d{3}) (\d{3}) (\d{4})$/, '$1 $2-$3-$4')
        : parsed.formatInternational();
    case 'national':
      return parsed.formatNational();
    case 'digits':
      return parsed.number.slice(1);
    default: {
      const exhaustive: never = style;
      throw new Error(`unknown phone style ${String(exhaustive)}`);
    }
  }
}

export type EmailStyle = 'lower' | 'capitalised' | 'upper';

/** The email as a person types it: `maria.lopez@example.com`, `Maria.Lopez@Example.com`, `MARIA.LOPEZ@EXAMPLE.COM`. */
export function writeEmail(email: string, style: EmailStyle): string {
  switch (style) {
    case 'lower':
      return email;
    case 'upper':
      return email.toUpperCase();
    case 'capitalised':
      return email.replace(/(^|[.@])([a-z])/g, (_m, sep: string, c: string) => `${sep}${c.toUpperCase()}`);
    default: {
      const exhaustive: never = style;
      throw new Error(`unknown email style ${String(exhaustive)}`);
    }
  }
}

export const fullName = (p: Pick<Person, 'firstName' | 'lastName'>): string => `${p.firstName} ${p.lastName}`;
