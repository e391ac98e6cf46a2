/**
 * On-screen prompts for self-record mode, per `video_language` (Verilock's languages: en, es, fr, de, pt;
 * https://developer.verilock.io/premium-features/video-kyc). The first is Verilock's own example ("State your
 * full name and today's date"); the others ask for movements the video pipeline measures: a head turn and a
 * nod (src/pipeline/video-signals.ts head_motion, src/pipeline/nod.ts) and a blink.
 */
import type { ChallengeAction } from './challenge-draw.js';

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

/**
 * What the capture page says during an active liveness challenge (issue #14): one line per action, shown for its
 * window, and what to do before the first window (`leadIn`: the verifier's baseline, src/pipeline/challenge.ts) and
 * after the last (`tail`). Directions are the person's own ("your left"), as the verifier measures them; the page's
 * preview is a mirror, so the person's left is also the screen's left. Pose actions end "then back to the camera",
 * so every step starts from the resting pose the next one is measured against. `lookUp`/`lookDown` ask for the head
 * (FaceMesh's pitch), not only the eyes.
 */
export type ChallengePromptId = ChallengeAction | 'leadIn' | 'tail';

const CHALLENGE_TEXTS: Record<VideoLanguage, Record<ChallengePromptId, string>> = {
  en: {
    leadIn: 'Look straight at the camera and keep still',
    turnLeft: 'Turn your head to your left, then back to the camera',
    turnRight: 'Turn your head to your right, then back to the camera',
    lookUp: 'Tilt your head up, then back to the camera',
    lookDown: 'Tilt your head down, then back to the camera',
    blink: 'Blink twice',
    openMouth: 'Open your mouth wide, then close it',
    tail: 'Done. Keep looking at the camera',
  },
  es: {
    leadIn: 'Mire directamente a la cámara sin moverse',
    turnLeft: 'Gire la cabeza hacia su izquierda y vuelva a mirar a la cámara',
    turnRight: 'Gire la cabeza hacia su derecha y vuelva a mirar a la cámara',
    lookUp: 'Incline la cabeza hacia arriba y vuelva a mirar a la cámara',
    lookDown: 'Incline la cabeza hacia abajo y vuelva a mirar a la cámara',
    blink: 'Parpadee dos veces',
    openMouth: 'Abra bien la boca y luego ciérrela',
    tail: 'Listo. Siga mirando a la cámara',
  },
  fr: {
    leadIn: 'Regardez bien la caméra sans bouger',
    turnLeft: 'Tournez la tête vers votre gauche, puis revenez face à la caméra',
    turnRight: 'Tournez la tête vers votre droite, puis revenez face à la caméra',
    lookUp: 'Levez la tête, puis revenez face à la caméra',
    lookDown: 'Baissez la tête, puis revenez face à la caméra',
    blink: 'Clignez des yeux deux fois',
    openMouth: 'Ouvrez grand la bouche, puis fermez-la',
    tail: "C'est fait. Continuez à regarder la caméra",
  },
  de: {
    leadIn: 'Schauen Sie direkt in die Kamera und halten Sie still',
    turnLeft: 'Drehen Sie den Kopf zu Ihrer linken Seite und dann zurück zur Kamera',
    turnRight: 'Drehen Sie den Kopf zu Ihrer rechten Seite und dann zurück zur Kamera',
    lookUp: 'Heben Sie den Kopf und schauen Sie dann wieder in die Kamera',
    lookDown: 'Senken Sie den Kopf und schauen Sie dann wieder in die Kamera',
    blink: 'Blinzeln Sie zweimal',
    openMouth: 'Öffnen Sie den Mund weit und schließen Sie ihn wieder',
    tail: 'Fertig. Schauen Sie weiter in die Kamera',
  },
  pt: {
    leadIn: 'Olhe diretamente para a câmara sem se mexer',
    turnLeft: 'Vire a cabeça para a sua esquerda e volte a olhar para a câmara',
    turnRight: 'Vire a cabeça para a sua direita e volte a olhar para a câmara',
    lookUp: 'Incline a cabeça para cima e volte a olhar para a câmara',
    lookDown: 'Incline a cabeça para baixo e volte a olhar para a câmara',
    blink: 'Pisque os olhos duas vezes',
    openMouth: 'Abra bem a boca e depois feche-a',
    tail: 'Pronto. Continue a olhar para a câmara',
  },
};

/** The challenge prompts for `language`, by action (and lead-in / tail). */
export function challengePromptsFor(language: VideoLanguage): Record<ChallengePromptId, string> {
  return { ...CHALLENGE_TEXTS[language] };
}
