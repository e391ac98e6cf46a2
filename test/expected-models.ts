/** The embedded default set issue #2 requires, with the task each must declare. */
export const EXPECTED_MODELS: Record<string, string> = {
  'faceapi-tiny-face-detector': 'detection',
  'faceapi-ssd-mobilenetv1': 'detection',
  'faceapi-face-landmark-68': 'landmarks',
  'faceapi-face-recognition': 'recognition',
  'faceapi-age-gender': 'ageGender',
  'human-blazeface': 'detection',
  'human-blazeface-front': 'detection',
  'human-facemesh': 'faceMesh',
  'human-iris': 'iris',
  'human-antispoof': 'antispoof',
  'human-liveness': 'liveness',
  'human-faceres': 'faceDescription',
  'nsfwjs-mobilenet-v2': 'nudity',
  'human-nanodet': 'objectDetection',
  'human-handtrack': 'handDetection',
};
