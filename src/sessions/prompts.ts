/**
 * On-screen prompts for self-record mode, per `video_language` (Verilock's languages: en, es, fr, de, pt;
 * https://developer.verilock.io/premium-features/video-kyc). The first is Verilock's own example ("State your
 * full name and today's date"); the others ask for movements the video pipeline measures: a head turn and a
 * nod (src/pipeline/video-signals.ts head_motion, src/pipeline/nod.ts) and a blink.
 */
export const VIDEO_LANGUAGES = ['en', 'es', 'fr', 'de', 'pt'] as const;
export type VideoLanguage = (typeof VIDEO_LANGUAGES)[number];

export interface Prompt {
  /** Stable id, the same in every language. */
  id: 'state_name_date' | 'turn_head' | 'nod' | 'blink';
  text: string;
}

const TEXTS: Record<VideoLanguage, Record<Prompt['id'], string>> = {
  en: {
    state_name_date: "State your full name and today's date",
    turn_head: 'Slowly turn your head to the left, then back to the camera',
    nod: 'Nod once to confirm',
    blink: 'Look at the camera and blink twice',
  },
  es: {
    state_name_date: 'Diga su nombre completo y la fecha de hoy',
    turn_head: 'Gire lentamente la cabeza hacia la izquierda y vuelva a mirar a la cámara',
    nod: 'Asienta con la cabeza una vez para confirmar',
    blink: 'Mire a la cámara y parpadee dos veces',
  },
  fr: {
    state_name_date: "Indiquez votre nom complet et la date d'aujourd'hui",
    turn_head: 'Tournez lentement la tête vers la gauche, puis revenez face à la caméra',
    nod: 'Hochez la tête une fois pour confirmer',
    blink: 'Regardez la caméra et clignez des yeux deux fois',
  },
  de: {
    state_name_date: 'Nennen Sie Ihren vollständigen Namen und das heutige Datum',
    turn_head: 'Drehen Sie den Kopf langsam nach links und dann zurück zur Kamera',
    nod: 'Nicken Sie einmal zur Bestätigung',
    blink: 'Schauen Sie in die Kamera und blinzeln Sie zweimal',
  },
  pt: {
    state_name_date: 'Diga o seu nome completo e a data de hoje',
    turn_head: 'Vire lentamente a cabeça para a esquerda e depois volte a olhar para a câmara',
    nod: 'Acene com a cabeça uma vez para confirmar',
    blink: 'Olhe para a câmara e pisque os olhos duas vezes',
  },
};

const ORDER: Prompt['id'][] = ['state_name_date', 'turn_head', 'nod', 'blink'];

/** The prompts to show, in order, for `language`. */
export function promptsFor(language: VideoLanguage): Prompt[] {
  return ORDER.map((id) => ({ id, text: TEXTS[language][id] }));
}
