/**
 * Which fields of which event types are personal data, as field paths from the event's root
 * (`data.…`; see `field-path.ts` for the grammar). `EncryptingEventStore` encrypts exactly these
 * under the data subject's key; event types not listed are stored as they are.
 *
 * Adding an event type that carries personal data: add its paths here (or extend the object where
 * the store is built: `{ ...PERSONAL_DATA_POLICY, MyEvent: ['data.email'] }`) in the same change
 * that introduces the event. Events already stored keep the fields they were encrypted with (listed
 * in their `metadata.encryption.fields`), so changing the policy never breaks reading old events;
 * it only changes what new events encrypt.
 */
export type PersonalDataPolicy = Readonly<Record<string, readonly string[]>>;

export const PERSONAL_DATA_POLICY = {
  CustomerRegistered: ['data.identity.value'],
  InteractionRecorded: [
    'data.identities[*].value',
    'data.content.text',
    'data.content.media[*].url',
    'data.endpoint',
    // Facets of other kinds of interaction: who wrote to whom about what, what was recorded of a
    // call, what the customer answered, which button they pressed (titles can echo their words).
    'data.email.from',
    'data.email.to[*]',
    'data.email.cc[*]',
    'data.email.subject',
    'data.email.attachments[*].name',
    'data.call.recordingUrl',
    'data.call.transcriptUrl',
    'data.survey.answers[*].value',
    'data.interactive.title',
    // A platform's own attributes (issue #16): whatever its tenant declared, a case number, a name.
    'data.attributes.*',
  ],
  IdentityClaimed: ['data.identity.value', 'data.via.through.value'],
  // The explanation quotes the keyword the rules found in the customer's message (`"cancel"`,
  // `"lawyer"`): content of the message, so it is erased with it. The ranking repeats the profile
  // attributes it read (`traits.<key>` facts, sealed in TraitsUpdated too) wherever a rule read one,
  // and the customer's time zone and local time (from the `timeZone` trait) in the contact checks.
  NextBestActionDecided: [
    'data.explanation.reason',
    // The chosen channel's address (a phone number, an email, a handle), added within v3.
    'data.address.value',
    'data.explanation.inputs.matched',
    'data.explanation.inputs[^"traits."]',
    // Rule traces nest (`children`), so the facts maps are found at any depth.
    'data.arbitration..facts[^"traits."]',
    'data.arbitration.counters.timeZone',
    'data.arbitration.counters.localTime',
    // Where quiet hours are checked: each candidate's channel verdicts (a fixed place, not a search).
    'data.arbitration.candidates[*].contact.channels[*].quietHours.timeZone',
    'data.arbitration.candidates[*].contact.channels[*].quietHours.localTime',
  ],
  // Profile attributes are whatever a system or an agent set: a name, a birthday, a language.
  TraitsUpdated: ['data.traits.*'],
  // Merges: the identities they move and the free text that explains them. Encrypted under the key of
  // the stream's customer (the survivor's for CustomersMerged/CustomerUnmerged/MergeProposed).
  CustomersMerged: ['data.reason', 'data.evidence.detail', 'data.evidence.identities[*].value', 'data.identitiesMoved[*].value'],
  CustomerMergedInto: ['data.reason', 'data.identitiesHandedOver[*].value'],
  CustomerUnmerged: ['data.reason', 'data.identitiesReturned[*].value'],
  CustomerRestored: ['data.reason', 'data.identitiesReturned[*].value'],
  MergeProposed: ['data.reason', 'data.evidence.detail', 'data.evidence.identities[*].value', 'data.identitiesMoving[*].value'],
  // A person's words about why two records are not one person.
  MergeProposalRejected: ['data.reason'],
  // A person's words about the customer's case: why it was handed on, how it was closed.
  WorkItemReassigned: ['data.reason'],
  WorkItemResolved: ['data.note'],
} as const satisfies PersonalDataPolicy;

/** What a personal field reads as once its subject was erased (the key is gone). */
export const ERASED_MARKER = '[erased]';
