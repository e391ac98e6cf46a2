/**
 * The consent text the capture page shows before the camera starts, per `video_language`, and its version.
 * The page sends `CONSENT_TEXT_VERSION` as `consent_text_version` with the video (README "Sessions API":
 * the video is accepted only with the recorded consent), so a stored session says exactly which wording
 * the person agreed to. Change a text → bump the version: the version names the wording, not the feature.
 */
import type { VideoLanguage } from '../sessions/prompts.js';

export const CONSENT_TEXT_VERSION = 'capture-page-consent-v1';

export const CONSENT_TEXTS: Record<VideoLanguage, { title: string; text: string; agree: string }> = {
  en: {
    title: 'Before you start',
    text:
      'To verify your identity, this page uses your camera and microphone to take a selfie and record a short video. ' +
      'The images and the video are sent to the organisation that sent you this link, compared with each other to check that you are a real person, ' +
      'and deleted after the retention period it has set. Nothing is recorded before you press a button.',
    agree: 'I agree to the capture and processing of my selfie and video for identity verification',
  },
  es: {
    title: 'Antes de empezar',
    text:
      'Para verificar su identidad, esta página usa su cámara y micrófono para tomar un selfie y grabar un vídeo corto. ' +
      'Las imágenes y el vídeo se envían a la organización que le envió este enlace, se comparan entre sí para comprobar que es una persona real ' +
      'y se eliminan al terminar el plazo de conservación que esta haya fijado. No se graba nada antes de que pulse un botón.',
    agree: 'Acepto la captura y el tratamiento de mi selfie y mi vídeo para verificar mi identidad',
  },
  fr: {
    title: 'Avant de commencer',
    text:
      'Pour vérifier votre identité, cette page utilise votre caméra et votre micro pour prendre un selfie et enregistrer une courte vidéo. ' +
      "Les images et la vidéo sont envoyées à l'organisation qui vous a transmis ce lien, comparées entre elles pour vérifier que vous êtes une personne réelle, " +
      "puis supprimées à la fin de la durée de conservation qu'elle a fixée. Rien n'est enregistré avant que vous appuyiez sur un bouton.",
    agree: "J'accepte la capture et le traitement de mon selfie et de ma vidéo pour la vérification de mon identité",
  },
  de: {
    title: 'Bevor Sie beginnen',
    text:
      'Um Ihre Identität zu prüfen, verwendet diese Seite Ihre Kamera und Ihr Mikrofon für ein Selfie und ein kurzes Video. ' +
      'Bilder und Video werden an die Organisation gesendet, die Ihnen diesen Link geschickt hat, miteinander verglichen, um zu prüfen, dass Sie eine echte Person sind, ' +
      'und nach der von ihr festgelegten Aufbewahrungsfrist gelöscht. Nichts wird aufgenommen, bevor Sie eine Schaltfläche drücken.',
    agree: 'Ich stimme der Aufnahme und Verarbeitung meines Selfies und Videos zur Identitätsprüfung zu',
  },
  pt: {
    title: 'Antes de começar',
    text:
      'Para verificar a sua identidade, esta página usa a sua câmara e microfone para tirar uma selfie e gravar um vídeo curto. ' +
      'As imagens e o vídeo são enviados à organização que lhe enviou este link, comparados entre si para confirmar que é uma pessoa real ' +
      'e apagados no fim do prazo de conservação que ela definiu. Nada é gravado antes de carregar num botão.',
    agree: 'Aceito a captura e o tratamento da minha selfie e do meu vídeo para verificação de identidade',
  },
};

/**
 * The consent for a live agent session (issue #21, `video_mode: "live_agent"`): the person joins a live video call with
 * a person who reviews their identity, and the call is recorded by their own page. A different wording from the
 * self-record one, so a different version: the stored consent names what the person agreed to.
 */
export const LIVE_CONSENT_TEXT_VERSION = 'capture-page-live-consent-v1';

export const LIVE_CONSENT_TEXTS: Record<VideoLanguage, { title: string; text: string; agree: string }> = {
  en: {
    title: 'Before you start',
    text:
      'To verify your identity, this page uses your camera and microphone to take a selfie and then to join a live video call with an agent of the organisation that sent you this link. ' +
      'The agent sees and hears you, may ask you to show your ID document or to move your head, and may take still pictures. Your page records the call and sends the recording, your photos and the agent’s notes to that organisation, ' +
      'which keeps them until the end of the retention period it has set. Nothing is recorded before you press a button.',
    agree: 'I agree to the live video call, its recording and the processing of my selfie, photos and video for identity verification',
  },
  es: {
    title: 'Antes de empezar',
    text:
      'Para verificar su identidad, esta página usa su cámara y micrófono para tomar un selfie y después unirse a una videollamada en directo con un agente de la organización que le envió este enlace. ' +
      'El agente le ve y le oye, puede pedirle que muestre su documento de identidad o que mueva la cabeza, y puede tomar imágenes fijas. Su página graba la llamada y envía la grabación, sus fotos y las notas del agente a esa organización, ' +
      'que las conserva hasta el final del plazo de conservación que haya fijado. No se graba nada antes de que pulse un botón.',
    agree: 'Acepto la videollamada en directo, su grabación y el tratamiento de mi selfie, mis fotos y mi vídeo para verificar mi identidad',
  },
  fr: {
    title: 'Avant de commencer',
    text:
      "Pour vérifier votre identité, cette page utilise votre caméra et votre micro pour prendre un selfie, puis pour rejoindre un appel vidéo en direct avec un agent de l'organisation qui vous a transmis ce lien. " +
      "L'agent vous voit et vous entend, peut vous demander de montrer votre pièce d'identité ou de tourner la tête, et peut prendre des images fixes. Votre page enregistre l'appel et envoie l'enregistrement, vos photos et les notes de l'agent à cette organisation, " +
      "qui les conserve jusqu'à la fin de la durée de conservation qu'elle a fixée. Rien n'est enregistré avant que vous appuyiez sur un bouton.",
    agree: "J'accepte l'appel vidéo en direct, son enregistrement et le traitement de mon selfie, de mes photos et de ma vidéo pour la vérification de mon identité",
  },
  de: {
    title: 'Bevor Sie beginnen',
    text:
      'Um Ihre Identität zu prüfen, verwendet diese Seite Ihre Kamera und Ihr Mikrofon für ein Selfie und danach für einen Live-Videoanruf mit einer Mitarbeiterin oder einem Mitarbeiter der Organisation, die Ihnen diesen Link geschickt hat. ' +
      'Sie werden dabei gesehen und gehört, können gebeten werden, Ihren Ausweis zu zeigen oder den Kopf zu bewegen, und es können Standbilder aufgenommen werden. Ihre Seite zeichnet den Anruf auf und sendet die Aufnahme, Ihre Fotos und die Notizen der Prüfung an diese Organisation, ' +
      'die sie bis zum Ende der von ihr festgelegten Aufbewahrungsfrist speichert. Nichts wird aufgenommen, bevor Sie eine Schaltfläche drücken.',
    agree: 'Ich stimme dem Live-Videoanruf, seiner Aufzeichnung und der Verarbeitung meines Selfies, meiner Fotos und meines Videos zur Identitätsprüfung zu',
  },
  pt: {
    title: 'Antes de começar',
    text:
      'Para verificar a sua identidade, esta página usa a sua câmara e microfone para tirar uma selfie e depois entrar numa videochamada em direto com um agente da organização que lhe enviou este link. ' +
      'O agente vê-o e ouve-o, pode pedir-lhe que mostre o seu documento de identificação ou que mova a cabeça, e pode tirar imagens fixas. A sua página grava a chamada e envia a gravação, as suas fotos e as notas do agente a essa organização, ' +
      'que as conserva até ao fim do prazo de conservação que definiu. Nada é gravado antes de carregar num botão.',
    agree: 'Aceito a videochamada em direto, a sua gravação e o tratamento da minha selfie, das minhas fotos e do meu vídeo para verificação de identidade',
  },
};
