/*
 * Capture page (issue #7): consent → selfie (with quality feedback) → document photo (when the profile asks)
 * → video (prompts + countdown) → upload (progress, retries) → redirect_url or a done screen.
 * Live agent sessions (issue #21, `config.live`): the video step is a live call instead: join the queue → an agent takes
 * the call (WebRTC, this page makes the offer; signaling through the service's Server-Sent Events + POST) → the page
 * records its own camera during the call → on the call's end the recording is uploaded like a self-recorded video.
 * Plain browser JavaScript, no framework and no build step; the server embeds the session's capture info in
 * <script id="capture-config" type="application/json"> (src/http/routes/capture.ts).
 */
'use strict';

(function capturePage() {
  const config = JSON.parse(document.getElementById('capture-config').textContent);
  const $ = (id) => document.getElementById(id);

  /** Upload attempts before the page asks the person to press "Try again", and the first wait (doubles each time). */
  const UPLOAD_ATTEMPTS = 3;
  const UPLOAD_BACKOFF_MS = 1000;
  /**
   * The recorder stops this much before video_max_duration: MediaRecorder delivers its last chunk a little after
   * stop(), and the service declines a video longer than video_max_duration + 0.5 s (src/sessions/process-session.ts).
   */
  const RECORDING_MARGIN_MS = 300;
  /** Shortest recording the Stop button allows: the prompts need a few seconds. */
  const MIN_RECORDING_MS = 2000;
  /** Container/codec preference: WebM VP9/VP8 + Opus (Chrome, Firefox, Edge), else MP4 (Safari). The service accepts both. */
  const MIME_TYPES = ['video/webm;codecs=vp9,opus', 'video/webm;codecs=vp8,opus', 'video/webm', 'video/mp4'];

  const errors = {
    denied: ['Camera access is blocked', 'This page needs your camera. Allow camera (and microphone) access for this site in your browser settings, then try again.'],
    noCamera: ['No camera found', 'We could not find a camera on this device. Open the link on a phone or a computer with a camera.'],
    busy: ['The camera is in use', 'Another app is using the camera. Close it and try again.'],
    unsupported: ['This browser is not supported', 'Your browser cannot record video from the camera. Open this link in a recent Chrome, Safari, Firefox or Edge.'],
    insecure: ['This page must be opened over HTTPS', 'Browsers only allow the camera on secure (https://) pages. Open the link exactly as you received it.'],
    expired: ['This link has expired', 'The verification session is over. Ask for a new link.'],
    invalid_link: ['This link is not valid', 'The link is incomplete or has been changed. Open it exactly as you received it.'],
    not_found: ['Verification not found', 'This verification session does not exist. Ask for a new link.'],
    completed: ['Already done', 'This verification has already been completed. You can close this page.'],
    queueExpired: ['No agent was available', 'Nobody could take your call in time, and this verification has expired. Ask for a new link.'],
    server: ['Something went wrong', 'The service could not take your upload. Try again in a moment.'],
  };

  let stream = null;
  let consentGivenAt = null;
  let selfieBlob = null;
  let videoBlob = null;
  let videoType = '';

  const steps = config.state === 'ready' ? plannedSteps() : [];

  function plannedSteps() {
    const list = ['consent'];
    if (config.steps.includes('selfie') && !config.uploaded.selfie) list.push('selfie');
    if (config.steps.includes('document') && !config.uploaded.document) list.push('document');
    list.push(config.live ? 'live' : 'video', 'upload', 'done');
    return list;
  }

  /** Shows one step, says where the person is, and moves keyboard/screen-reader focus to its heading. */
  function show(step) {
    for (const section of document.querySelectorAll('section.step')) section.hidden = section.dataset.step !== step;
    const index = steps.indexOf(step);
    const counted = steps.filter((s) => s !== 'done');
    $('step-counter').textContent = index >= 0 && step !== 'done' ? `Step ${index + 1} of ${counted.length}` : '';
    const slot = document.querySelector(`#step-${step} .camera-slot`);
    const camera = $('camera');
    if (slot) {
      slot.appendChild(camera);
      camera.hidden = false;
    } else {
      camera.hidden = true;
    }
    document.querySelector(`#step-${step} h1`).focus();
    document.body.dataset.step = step;
  }

  function showError(kind, retry) {
    stopCamera();
    const [title, message] = errors[kind] || errors.server;
    $('error-title').textContent = title;
    $('error-message').textContent = message;
    $('error-retry').hidden = !retry;
    $('error-retry').onclick = retry || null;
    document.body.dataset.error = kind;
    show('error');
  }

  function next(current) {
    const step = steps[steps.indexOf(current) + 1];
    if (step === 'selfie') return startSelfie();
    if (step === 'document') return show('document');
    if (step === 'video') return startVideo();
    if (step === 'live') return startLive();
    return show(step);
  }

  // ---- consent -------------------------------------------------------------------------------------------

  function setUpConsent() {
    const consent = config.consent;
    $('consent-title').textContent = consent.title;
    $('consent-text').textContent = consent.text;
    $('consent-agree-label').textContent = consent.agree;
    // The texts are in the session's video_language; the rest of the page is English.
    for (const id of ['consent-title', 'consent-text', 'consent-agree-label']) $(id).lang = config.language;
    $('consent-version').textContent = `Consent text version: ${consent.version}`;
    $('consent-agree').addEventListener('change', () => ($('consent-continue').disabled = !$('consent-agree').checked));
    $('consent-continue').addEventListener('click', () => {
      if (!$('consent-agree').checked) return;
      consentGivenAt = new Date().toISOString();
      next('consent');
    });
  }

  // ---- camera ---------------------------------------------------------------------------------------------

  async function openCamera() {
    if (stream) return stream;
    if (!window.isSecureContext) throw Object.assign(new Error('insecure'), { kind: 'insecure' });
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === 'undefined') {
      throw Object.assign(new Error('unsupported'), { kind: 'unsupported' });
    }
    const video = { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 720 } };
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video, audio: true });
    } catch (error) {
      // A device without a microphone still records a silent video: the checks are visual.
      if (error && error.name === 'NotFoundError') stream = await navigator.mediaDevices.getUserMedia({ video, audio: false }).catch((e) => Promise.reject(e));
      else throw error;
    }
    $('preview').srcObject = stream;
    await $('preview').play().catch(() => undefined);
    return stream;
  }

  function cameraErrorKind(error) {
    if (error && error.kind) return error.kind;
    const name = error && error.name;
    if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return 'denied';
    if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return 'noCamera';
    if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return 'busy';
    return 'unsupported';
  }

  function stopCamera() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
  }

  // ---- selfie ---------------------------------------------------------------------------------------------

  async function startSelfie() {
    show('selfie');
    try {
      await openCamera();
    } catch (error) {
      return showError(cameraErrorKind(error), startSelfie);
    }
    resetSelfie();
  }

  function resetSelfie() {
    selfieBlob = null;
    $('camera').hidden = false;
    $('selfie-photo').hidden = true;
    $('selfie-take').hidden = false;
    $('selfie-take').disabled = false;
    $('selfie-retake').hidden = true;
    $('selfie-continue').hidden = true;
    setFeedback('selfie-feedback', '', '');
  }

  function setFeedback(id, kind, text, items) {
    const box = $(id);
    box.className = `feedback ${kind}`;
    box.textContent = text;
    if (items && items.length) {
      const list = document.createElement('ul');
      for (const item of items) {
        const li = document.createElement('li');
        li.textContent = item;
        list.appendChild(li);
      }
      box.appendChild(list);
    }
  }

  async function takeSelfie() {
    const video = $('preview');
    if (!video.videoWidth) return setFeedback('selfie-feedback', 'problem', 'The camera is not ready yet. Try again in a second.');
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    selfieBlob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
    $('selfie-photo').src = URL.createObjectURL(selfieBlob);
    $('selfie-photo').hidden = false;
    $('camera').hidden = true;
    $('selfie-take').hidden = true;
    setFeedback('selfie-feedback', '', 'Checking your photo…');
    document.body.dataset.selfieCheck = 'pending';
    try {
      const response = await fetch(config.selfieCheckUrl, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: selfieBlob });
      const body = await response.json().catch(() => ({}));
      if (response.status === 410 || body.error === 'expired') return showError('expired');
      if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
      document.body.dataset.selfieCheck = body.ok ? 'ok' : 'retake';
      if (body.ok) {
        setFeedback('selfie-feedback', 'ok', 'Looks good.');
        $('selfie-continue').hidden = false;
      } else {
        setFeedback('selfie-feedback', 'problem', 'Please take the photo again:', body.issues.map((issue) => issue.message));
      }
    } catch (error) {
      document.body.dataset.selfieCheck = 'failed';
      setFeedback('selfie-feedback', 'problem', 'We could not check the photo (connection problem). Retake it to try again.');
    }
    $('selfie-retake').hidden = false;
    ($('selfie-continue').hidden ? $('selfie-retake') : $('selfie-continue')).focus();
  }

  async function sendSelfie() {
    $('selfie-continue').disabled = true;
    setFeedback('selfie-feedback', '', 'Sending your photo…');
    const form = new FormData();
    form.append('image', selfieBlob, 'selfie.jpg');
    const result = await uploadWithRetry(config.uploads.selfie, form, () => undefined);
    $('selfie-continue').disabled = false;
    if (result.ok) {
      URL.revokeObjectURL($('selfie-photo').src);
      return next('selfie');
    }
    if (result.kind) return showError(result.kind);
    setFeedback('selfie-feedback', 'problem', result.message);
  }

  // ---- document -------------------------------------------------------------------------------------------

  function setUpDocument() {
    $('document-file').addEventListener('change', () => {
      $('document-continue').disabled = !$('document-file').files.length;
      setFeedback('document-feedback', '', '');
    });
    $('document-continue').addEventListener('click', async () => {
      const file = $('document-file').files[0];
      if (!file) return;
      $('document-continue').disabled = true;
      setFeedback('document-feedback', '', 'Sending the photo…');
      const form = new FormData();
      form.append('front', file, file.name || 'document.jpg');
      const result = await uploadWithRetry(config.uploads.document, form, () => undefined);
      $('document-continue').disabled = false;
      if (result.ok) return next('document');
      if (result.kind) return showError(result.kind);
      setFeedback('document-feedback', 'problem', result.message);
    });
  }

  // ---- video ----------------------------------------------------------------------------------------------

  /** Icons for the challenge's prompts (decoration: the text says the same; aria-hidden). Arrows as the person sees them in the mirrored preview. */
  const CHALLENGE_ICONS = { leadIn: '◎', turnLeft: '←', turnRight: '→', lookUp: '↑', lookDown: '↓', blink: '◉ ◉', openMouth: '○', tail: '✓' };

  /** The recording's length, ms: the challenge's recording_seconds, else video_max_duration, less the recorder's margin. */
  function recordingLimitMs() {
    const most = config.videoMaxDuration * 1000 - RECORDING_MARGIN_MS;
    return config.challenge ? Math.min(config.challenge.recordingSeconds * 1000, most) : most;
  }

  /**
   * An active liveness challenge (issue #14): the steps are shown one at a time, each for its window (seconds from the
   * start of the recording), with a countdown; before the first window the person holds still (the verifier's
   * baseline), after the last keeps looking at the camera.
   */
  function setUpChallenge() {
    const challenge = config.challenge;
    $('prompt-list').hidden = true;
    $('challenge-panel').hidden = false;
    $('challenge-text').lang = config.language;
    $('countdown').textContent = formatSeconds(Math.ceil(recordingLimitMs() / 1000));
    $('video-intro').textContent = `When you press Start, do what the screen says, one instruction at a time, while looking at the camera. The recording lasts ${Math.ceil(recordingLimitMs() / 1000)} seconds and stops by itself.`;
    showChallengePhase(-1, null);
  }

  /** Which part of the challenge is on at `seconds` into the recording: the lead-in, a step (its index), or the tail. */
  function challengePhase(seconds) {
    const steps = config.challenge.steps;
    if (seconds < steps[0].windowSeconds[0]) return { index: -1, id: 'leadIn', until: steps[0].windowSeconds[0] };
    for (let i = 0; i < steps.length; i++) {
      if (seconds < steps[i].windowSeconds[1]) return { index: i, id: steps[i].action, until: steps[i].windowSeconds[1] };
    }
    return { index: steps.length, id: 'tail', until: null };
  }

  function showChallengePhase(index, secondsLeft) {
    const challenge = config.challenge;
    const steps = challenge.steps;
    const id = index < 0 ? 'leadIn' : index >= steps.length ? 'tail' : steps[index].action;
    const text = index < 0 ? challenge.leadIn : index >= steps.length ? challenge.tail : steps[index].text;
    if ($('challenge-text').textContent !== text) {
      $('challenge-text').textContent = text;
      $('challenge-icon').textContent = CHALLENGE_ICONS[id] || '';
    }
    $('challenge-progress').textContent = index < 0 ? `${steps.length} instructions` : index >= steps.length ? '' : `Instruction ${index + 1} of ${steps.length}`;
    $('challenge-countdown').textContent = secondsLeft === null ? '' : String(secondsLeft);
    $('challenge-panel').dataset.phase = id;
    document.body.dataset.challengePhase = id;
  }

  function setUpPrompts() {
    if (config.challenge) return setUpChallenge();
    const list = $('prompt-list');
    list.lang = config.language;
    for (const prompt of config.prompts) {
      const li = document.createElement('li');
      li.textContent = prompt.text;
      li.dataset.prompt = prompt.id;
      list.appendChild(li);
    }
    $('countdown').textContent = formatSeconds(config.videoMaxDuration);
    $('video-intro').textContent = `When you press Start, follow these instructions in front of the camera. The recording stops by itself after ${config.videoMaxDuration} seconds.`;
  }

  const formatSeconds = (seconds) => {
    const s = Math.max(0, seconds);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };

  async function startVideo() {
    show('video');
    try {
      await openCamera();
    } catch (error) {
      return showError(cameraErrorKind(error), startVideo);
    }
    $('video-start').disabled = false;
  }

  function record() {
    const mimeType = MIME_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    let recorder;
    try {
      recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    } catch (error) {
      return showError('unsupported');
    }
    const chunks = [];
    const limitMs = recordingLimitMs();
    const items = Array.from($('prompt-list').children);
    const challenge = config.challenge;
    // With a challenge, Stop stays off until the last window has ended: stopping earlier cannot pass.
    const earliestStopMs = challenge ? challenge.steps[challenge.steps.length - 1].windowSeconds[1] * 1000 : MIN_RECORDING_MS;
    const shown = [];
    let started = 0;
    let timer = 0;
    recorder.addEventListener('dataavailable', (event) => event.data && event.data.size > 0 && chunks.push(event.data));
    recorder.addEventListener('stop', () => {
      clearInterval(timer);
      $('rec-badge').hidden = true;
      videoType = (recorder.mimeType || mimeType || 'video/webm').split(';')[0];
      videoBlob = new Blob(chunks, { type: videoType });
      document.body.dataset.recordedType = recorder.mimeType || videoType;
      stopCamera();
      show('upload');
      sendVideo();
    });
    const tick = () => {
      const elapsed = Date.now() - started;
      const remaining = Math.ceil((limitMs - elapsed) / 1000);
      $('countdown').textContent = formatSeconds(remaining);
      $('countdown').setAttribute('aria-label', `${remaining} seconds left`);
      if (challenge) {
        const phase = challengePhase(elapsed / 1000);
        if (shown[shown.length - 1] !== phase.id) shown.push(phase.id);
        document.body.dataset.challengeShown = shown.join(' ');
        showChallengePhase(phase.index, phase.until === null ? null : Math.max(1, Math.ceil(phase.until - elapsed / 1000)));
      } else {
        // Walk through the prompts over the recording, one at a time.
        const current = Math.min(items.length - 1, Math.floor((elapsed / limitMs) * items.length));
        items.forEach((li, i) => li.classList.toggle('current', i === current));
      }
      $('video-stop').disabled = elapsed < earliestStopMs;
      if (elapsed >= limitMs && recorder.state === 'recording') recorder.stop();
    };
    recorder.start(1000);
    started = Date.now();
    timer = setInterval(tick, 100);
    tick();
    $('rec-badge').hidden = false;
    $('video-start').hidden = true;
    $('video-stop').hidden = false;
    $('video-stop').focus();
    $('video-status').textContent = 'Recording…';
    $('video-stop').onclick = () => recorder.state === 'recording' && recorder.stop();
  }

  function sendVideo() {
    $('upload-retry').hidden = true;
    const form = new FormData();
    form.append('consent_given_at', consentGivenAt);
    form.append('consent_text_version', config.consent ? config.consent.version : live.consentVersion);
    // A live call is judged by its agent, not by a challenge's windows: its recording carries no challenge id.
    if (config.challenge && !config.live) form.append('challenge_id', config.challenge.id);
    form.append('video', videoBlob, videoType === 'video/mp4' ? 'capture.mp4' : 'capture.webm');
    $('upload-status').textContent = 'Sending…';
    // A live call's recording goes to the link handed over with the decision: it outlives the session's own links.
    const url = live.recordingUrl || config.uploads.video;
    return uploadWithRetry(url, form, (fraction) => {
      $('upload-progress').value = Math.round(fraction * 100);
      $('upload-status').textContent = `Sending… ${Math.round(fraction * 100)} %`;
    }).then((result) => {
      // The kept copy of a live call's recording goes once the service has it, or once its link has expired.
      const recordingSettled = result.ok || result.alreadyUploaded || result.kind === 'expired';
      if (recordingSettled && (config.live || live.recordingUrl)) forgetRecording();
      if (result.ok || result.alreadyUploaded) return finish();
      if (result.kind) return showError(result.kind);
      $('upload-status').textContent = result.message;
      $('upload-retry').hidden = false;
      $('upload-retry').focus();
    });
  }

  function finish() {
    document.body.dataset.done = 'true';
    show('done');
    if (live.outcome) $('done-message').textContent = live.outcome;
    if (config.redirectUrl) {
      $('done-message').textContent = 'Your selfie and video have been sent. Taking you back…';
      setTimeout(() => window.location.assign(config.redirectUrl), 1500);
    }
  }


  // ---- live agent call (issue #21) -------------------------------------------------------------------------

  /**
   * The call's recording bit rate, bits/s: a call lasts minutes, not seconds, and the recording is evidence for a
   * reviewer, not a broadcast; 1 Mbit/s VP8/VP9 keeps a 640×480–1280×720 face and a held-up document readable (about
   * 7.5 MB a minute) where Chrome's default of 2.5 Mbit/s would triple the upload.
   */
  const LIVE_VIDEO_BITS_PER_SECOND = 1000000;
  /** Wait before the page opens the events stream again when the browser has given up on it (EventSource CLOSED), ms. */
  const LIVE_EVENTS_RETRY_MS = 3000;

  /** The live call's state: the events stream, the peer connection, the call's recorder and what the person is told at the end. */
  const live = { events: null, eventsRetry: 0, callId: null, peer: null, pendingCandidates: [], recorder: null, outcome: '', ended: true, decided: false, recordingUrl: null, consentVersion: null };

  // ---- the call's recording, kept across a reload ----------------------------------------------------------

  /**
   * The call's recording is also written to the browser's IndexedDB as it is recorded (one record per MediaRecorder
   * chunk), so that a page reloaded or reopened after the agent's decision can still send it while the recording link
   * is valid (the service says so in `pendingRecording`). It is deleted once sent (or refused as expired), when a call
   * ends without a decision (the next call records anew), and by purgeRecordings when any capture page of this
   * service opens in the browser after its expiry. Best effort: without IndexedDB (private modes may refuse it) the
   * page records in memory only, as before.
   */
  const RECORDING_DB = 'capture-live-recording';
  const RECORDING_STORE = 'chunks';
  let recordingDb = null;

  function openRecordingDb() {
    if (!recordingDb) {
      recordingDb = new Promise((resolve) => {
        try {
          const request = indexedDB.open(RECORDING_DB, 1);
          request.onupgradeneeded = () => request.result.createObjectStore(RECORDING_STORE, { keyPath: ['session', 'seq'] });
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => resolve(null);
          request.onblocked = () => resolve(null);
        } catch (_) {
          resolve(null);
        }
      });
    }
    return recordingDb;
  }

  /** Runs `work(store)` in one transaction; resolves with `work`'s request result (or undefined), never rejects. */
  async function recordingStore(mode, work) {
    const db = await openRecordingDb();
    if (!db) return undefined;
    return new Promise((resolve) => {
      try {
        const tx = db.transaction(RECORDING_STORE, mode);
        const request = work(tx.objectStore(RECORDING_STORE));
        tx.oncomplete = () => resolve(request ? request.result : undefined);
        tx.onerror = () => resolve(undefined);
        tx.onabort = () => resolve(undefined);
      } catch (_) {
        resolve(undefined);
      }
    });
  }

  /**
   * The records of this session's recording: seq 0 describes it (type, consent, `expiresAt`: until when it may still be
   * sent, ms since the epoch), 1… are its chunks in order.
   */
  const sessionRange = () => IDBKeyRange.bound([config.sessionId, 0], [config.sessionId, Number.MAX_SAFE_INTEGER]);

  function forgetRecording() {
    return recordingStore('readwrite', (store) => store.delete(sessionRange()));
  }

  /**
   * Sets the kept recording's expiry (ms since the epoch) to that of the link the decision handed over: the link is
   * valid LIVE_RECORDING_UPLOAD_SECONDS from the decision, which may be after the session's expiry or before it.
   */
  function keepRecordingUntil(expiresAt) {
    if (!Number.isFinite(expiresAt)) return Promise.resolve(undefined);
    return recordingStore('readwrite', (store) => {
      const request = store.get([config.sessionId, 0]);
      request.onsuccess = () => request.result && store.put({ ...request.result, expiresAt });
      return undefined;
    });
  }

  /** Whether this browser holds the recording database (indexedDB.databases(): Chrome 71, Safari 14, Firefox 126); true when it cannot tell. */
  async function recordingDbExists() {
    if (typeof indexedDB === 'undefined') return false;
    if (typeof indexedDB.databases !== 'function') return true;
    try {
      return (await indexedDB.databases()).some((db) => db.name === RECORDING_DB);
    } catch (_) {
      return true;
    }
  }

  /**
   * Runs on every page load, before anything reads the store: deletes every kept record this page will not send, so a
   * recording does not stay on the device past its link (a page closed after the decision and never reopened). Kept:
   * only the records of this page's session (`config.sessionId`, which the service embeds in a ready page and in a
   * completed one with `pendingRecording`), and only until their expiry: `pendingRecording.expires_at` when the service
   * gives one, else the description's `expiresAt`. Deleted: other sessions' records, expired ones, chunks without a
   * description, and all of them on a page with no session (expired, invalid, or completed with nothing left to send).
   * A device that never kept a recording gets no database. Sets data-recordings-checked="true" on <body> when done.
   */
  async function purgeRecordings() {
    if (await recordingDbExists()) {
      const linkExpiresAt = config.pendingRecording ? Date.parse(config.pendingRecording.expires_at) : NaN;
      const now = Date.now();
      await recordingStore('readwrite', (store) => {
        const request = store.openCursor();
        let session;
        let keep = false;
        request.onsuccess = () => {
          const cursor = request.result;
          if (!cursor) return;
          const [id, seq] = cursor.key;
          // Keys sort by session, then seq: a session's description (seq 0) comes before its chunks.
          if (id !== session) {
            session = id;
            const expiresAt = Number.isFinite(linkExpiresAt) ? linkExpiresAt : seq === 0 ? cursor.value.expiresAt : NaN;
            keep = id === config.sessionId && seq === 0 && expiresAt > now;
          }
          if (!keep) cursor.delete();
          cursor.continue();
        };
        return undefined;
      });
    }
    document.body.dataset.recordingsChecked = 'true';
  }

  async function keptRecording() {
    const records = await recordingStore('readonly', (store) => store.getAll(sessionRange()));
    if (!records || records.length < 2 || records[0].seq !== 0) return null;
    const [meta, ...chunks] = records;
    return { blob: new Blob(chunks.map((c) => c.blob), { type: meta.type }), type: meta.type, consentGivenAt: meta.consentGivenAt, consentVersion: meta.consentVersion };
  }

  /** Reopened after the decision with the recording not sent yet: send the one kept here, or say the verification is done. */
  async function resumeRecording() {
    const kept = config.sessionId ? await keptRecording() : null;
    if (!kept) return showError('completed');
    videoBlob = kept.blob;
    videoType = kept.type;
    consentGivenAt = kept.consentGivenAt;
    live.consentVersion = kept.consentVersion;
    live.recordingUrl = config.pendingRecording.upload_url;
    live.outcome = 'The recording of your call has been sent. You can close this page.';
    document.body.dataset.resumedRecording = 'true';
    show('upload');
    sendVideo();
  }

  function setLiveStatus(text, kind) {
    const box = $('live-status');
    box.className = `feedback ${kind || ''}`;
    box.textContent = text;
  }

  function setLiveButtons({ join = false, rejoin = false, leave = false }) {
    $('live-join').hidden = !join;
    $('live-join').disabled = !join;
    $('live-rejoin').hidden = !rejoin;
    $('live-leave').hidden = !leave;
  }

  async function startLive() {
    show('live');
    document.body.dataset.live = 'not_joined';
    try {
      await openCamera();
    } catch (error) {
      return showError(cameraErrorKind(error), startLive);
    }
    setLiveButtons({ join: true });
    setLiveStatus('Press Join when you are ready.');
  }

  /** POSTs JSON to one of the signed live links; resolves with {status, body}; network failure → status 0. */
  async function livePost(url, body) {
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
      const parsed = await response.json().catch(() => ({}));
      return { status: response.status, body: parsed || {} };
    } catch (_) {
      return { status: 0, body: {} };
    }
  }

  /** Joins the queue (or rejoins it after a dropped call: the service puts the person back at its head). */
  async function joinQueue() {
    setLiveButtons({});
    $('live-prompt').hidden = true;
    setLiveStatus('Joining the queue…');
    const result = await livePost(config.live.join_url, { consent_given_at: consentGivenAt, consent_text_version: config.consent.version });
    const type = result.body.error;
    if (result.status === 410 || type === 'session_expired' || type === 'link_expired') return showError('expired');
    if (result.status === 403) return showError('invalid_link');
    if (result.status === 404) return showError('not_found');
    if (result.status !== 200) {
      setLiveButtons({ join: true });
      return setLiveStatus(result.status === 0 ? 'The connection failed. Check it, then press Join again.' : result.body.message || `Joining was refused (HTTP ${result.status}).`, 'problem');
    }
    live.ended = false;
    showQueuePosition(result.body);
    setLiveButtons({ leave: true });
    openEvents();
  }

  function showQueuePosition(queue) {
    document.body.dataset.live = 'waiting';
    document.body.dataset.queuePosition = String(queue.queue_position);
    const position = queue.queue_position === 1 ? 'You are next in line.' : `You are number ${queue.queue_position} in line.`;
    setLiveStatus(`${position} An agent will answer as soon as one is free. Keep this page open.`);
  }

  /** The call's Server-Sent Events; the browser reconnects by itself after a network break, the page after a refusal. */
  function openEvents() {
    closeEvents();
    const events = new EventSource(config.live.events_url);
    live.events = events;
    const on = (name, handler) =>
      events.addEventListener(name, (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch (_) {
          return;
        }
        // Events of an earlier call (the service tags them with call_id) are stale once a new call has started.
        const stale = data.call_id && live.callId && data.call_id !== live.callId && name !== 'call';
        if (live.events === events && !stale) handler(data);
      });
    on('queue', (data) => live.callId === null && showQueuePosition(data));
    on('call', startCall);
    on('signal', onSignal);
    on('prompt', (data) => {
      $('live-prompt').textContent = data.text;
      $('live-prompt').hidden = false;
      document.body.dataset.livePrompt = data.text;
    });
    on('ended', onEnded);
    events.addEventListener('error', () => {
      if (live.events !== events || events.readyState !== EventSource.CLOSED || live.ended) return;
      setLiveStatus('The connection was interrupted. Reconnecting…', 'problem');
      clearTimeout(live.eventsRetry);
      live.eventsRetry = setTimeout(() => live.events === events && !live.ended && openEvents(), LIVE_EVENTS_RETRY_MS);
    });
  }

  function closeEvents() {
    clearTimeout(live.eventsRetry);
    if (live.events) live.events.close();
    live.events = null;
  }

  /** An agent took the call: connect the camera to them (this page makes the offer) and start recording. */
  async function startCall(data) {
    if (live.callId === data.call_id && live.peer) return;
    closePeer();
    live.callId = data.call_id;
    document.body.dataset.live = 'in_call';
    $('live-intro').hidden = true;
    setLiveStatus('An agent has answered. Look at the camera and follow their requests.', 'ok');
    const peer = new RTCPeerConnection({ iceServers: data.ice_servers || config.live.ice_servers || [] });
    live.peer = peer;
    for (const track of stream.getTracks()) peer.addTrack(track, stream);
    peer.addEventListener('icecandidate', (event) => {
      if (event.candidate && live.peer === peer) livePost(config.live.signal_url, { type: 'candidate', candidate: event.candidate.toJSON() });
    });
    // The agent's camera and microphone, when their browser sends them (the answer may also be receive-only).
    peer.addEventListener('track', (event) => {
      if (live.peer !== peer) return;
      const agentVideo = $('agent-video');
      const remote = event.streams[0] || new MediaStream([event.track]);
      if (agentVideo.srcObject === remote) return;
      agentVideo.srcObject = remote;
      $('agent-view').hidden = false;
      // Sound needs an earlier click on most browsers (the Join button was one); else it plays muted with a button.
      agentVideo.muted = false;
      agentVideo.play().catch(() => {
        agentVideo.muted = true;
        agentVideo.play().catch(() => undefined);
        $('agent-unmute').hidden = false;
      });
    });
    peer.addEventListener('connectionstatechange', () => {
      if (live.peer !== peer) return;
      document.body.dataset.peer = peer.connectionState;
      if (peer.connectionState === 'disconnected') setLiveStatus('The connection is unstable…', 'problem');
      if (peer.connectionState === 'connected') setLiveStatus('You are connected to the agent. Follow their requests.', 'ok');
    });
    recordCall();
    try {
      const offer = await peer.createOffer();
      await peer.setLocalDescription(offer);
      const sent = await livePost(config.live.signal_url, { type: 'offer', sdp: peer.localDescription.sdp });
      if (sent.status !== 204 && live.peer === peer) setLiveStatus('The call could not be set up. Wait a moment: the agent may call again.', 'problem');
    } catch (error) {
      setLiveStatus('This browser could not set up the video call. Open the link in a recent Chrome, Safari, Firefox or Edge.', 'problem');
    }
  }

  /**
   * Asks the browser to keep the camera's resolution when the network or the CPU is short, and lower the frame rate
   * instead (RTCRtpSendParameters.degradationPreference "maintain-resolution", W3C webrtc-extensions): the agent reads a
   * document held up to the camera and snapshots are checked for liveness, both need pixels more than motion. WebRTC's
   * default ("balanced") starts a call at a fraction of the resolution while its bandwidth estimate ramps up.
   * Best effort: a browser without it keeps its default.
   */
  function keepResolution(peer) {
    for (const sender of peer.getSenders()) {
      if (!sender.track || sender.track.kind !== 'video') continue;
      try {
        const parameters = sender.getParameters();
        parameters.degradationPreference = 'maintain-resolution';
        sender.setParameters(parameters).catch(() => undefined);
      } catch (_) {
        /* not supported: the default stays */
      }
    }
  }

  async function onSignal(signal) {
    const peer = live.peer;
    if (!peer) return;
    try {
      if (signal.type === 'answer') {
        await peer.setRemoteDescription({ type: 'answer', sdp: signal.sdp });
        keepResolution(peer);
        for (const candidate of live.pendingCandidates.splice(0)) await peer.addIceCandidate(candidate).catch(() => undefined);
      } else if (signal.type === 'candidate' && signal.candidate) {
        if (peer.remoteDescription) await peer.addIceCandidate(signal.candidate).catch(() => undefined);
        else live.pendingCandidates.push(signal.candidate);
      }
    } catch (_) {
      setLiveStatus('The video connection could not be set up.', 'problem');
    }
  }

  /**
   * Records the person's own camera from the start of the call (the evidence uploaded after the decision), as the
   * video step does. The recording stops at the session's video_max_duration (less the recorder's margin) even when
   * the call goes on: the service's video processing takes no longer video (src/sessions/process-session.ts).
   */
  function recordCall() {
    const mimeType = MIME_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    const chunks = [];
    let recorder;
    try {
      recorder = new MediaRecorder(stream, { ...(mimeType ? { mimeType } : {}), videoBitsPerSecond: LIVE_VIDEO_BITS_PER_SECOND });
    } catch (_) {
      live.recorder = null;
      return;
    }
    const stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve, { once: true }));
    const type = (recorder.mimeType || mimeType || 'video/webm').split(';')[0];
    // A new call records anew: what an earlier call left is replaced.
    let seq = 0;
    let writes = forgetRecording().then(() =>
      // Until the session expires; the decision's recording link replaces that (keepRecordingUntil).
      recordingStore('readwrite', (store) =>
        store.put({ session: config.sessionId, seq: seq++, type, consentGivenAt, consentVersion: config.consent.version, expiresAt: Date.parse(config.expiresAt) }),
      ),
    );
    recorder.addEventListener('dataavailable', (event) => {
      if (!event.data || event.data.size === 0) return;
      chunks.push(event.data);
      const blob = event.data;
      // Chained: the chunks are stored in the order they were recorded.
      writes = writes.then(() => recordingStore('readwrite', (store) => store.put({ session: config.sessionId, seq: seq++, blob })));
    });
    recorder.addEventListener('stop', () => ($('rec-badge').hidden = true), { once: true });
    const timer = setTimeout(() => recorder.state !== 'inactive' && recorder.stop(), recordingLimitMs());
    live.recorder = { recorder, chunks, stopped, timer, persisted: () => writes };
    recorder.start(1000);
    $('rec-badge').hidden = false;
  }

  /** Stops the call's recorder (if still running); resolves with the recording, or null when there is none. */
  async function stopRecording() {
    const current = live.recorder;
    live.recorder = null;
    $('rec-badge').hidden = true;
    if (!current) return null;
    clearTimeout(current.timer);
    if (current.recorder.state !== 'inactive') current.recorder.stop();
    await current.stopped;
    // The last chunk is kept too before the page moves on (a reload during the upload still finds all of it).
    await current.persisted();
    const type = (current.recorder.mimeType || 'video/webm').split(';')[0];
    document.body.dataset.recordedType = current.recorder.mimeType || type;
    return current.chunks.length ? { blob: new Blob(current.chunks, { type }), type } : null;
  }

  function closePeer() {
    $('live-intro').hidden = false;
    if (live.peer) live.peer.close();
    live.peer = null;
    $('agent-video').srcObject = null;
    $('agent-view').hidden = true;
    $('agent-unmute').hidden = true;
    live.pendingCandidates = [];
  }

  const LIVE_OUTCOMES = {
    approved: 'The agent has approved your identity check. Thank you.',
    declined: 'The agent could not confirm your identity. The organisation that sent you this link will tell you what happens next.',
  };

  async function onEnded(data) {
    const rejoinable = data.reason === 'dropped' || data.reason === 'timeout';
    live.ended = !rejoinable;
    closeEvents();
    closePeer();
    live.callId = null;
    $('live-prompt').hidden = true;
    document.body.dataset.live = 'ended';
    document.body.dataset.liveEnded = data.reason;
    if (data.result) document.body.dataset.liveResult = data.result;
    const recording = await stopRecording();
    if (data.reason !== 'decided') forgetRecording();
    if (rejoinable) {
      // The call ended without a decision: the service takes a recording only after one, so the next call records anew.
      setLiveButtons({ rejoin: true });
      const why = data.reason === 'timeout' ? 'The call reached its time limit.' : 'The call was interrupted.';
      setLiveStatus(`${why} Press Rejoin to go back to the head of the line.`, 'problem');
      return $('live-rejoin').focus();
    }
    if (data.reason === 'expired') return showError('queueExpired');
    live.outcome = (data.result && LIVE_OUTCOMES[data.result]) || 'The call has ended. You can close this page.';
    live.decided = data.reason === 'decided';
    // The recording link of the decision (valid LIVE_RECORDING_UPLOAD_SECONDS, whatever the session's expiry).
    if (data.recording_upload_url) live.recordingUrl = data.recording_upload_url;
    if (!recording) {
      forgetRecording();
      return finish();
    }
    if (data.recording_upload_expires_at) await keepRecordingUntil(Date.parse(data.recording_upload_expires_at));
    videoBlob = recording.blob;
    videoType = recording.type;
    stopCamera();
    show('upload');
    sendVideo();
  }

  async function leaveCall() {
    setLiveButtons({});
    live.ended = true;
    closeEvents();
    closePeer();
    live.callId = null;
    await stopRecording();
    forgetRecording();
    await livePost(config.live.leave_url);
    $('live-prompt').hidden = true;
    document.body.dataset.live = 'left';
    setLiveButtons({ join: true });
    setLiveStatus('You have left. Press Join to wait for an agent again.');
  }

  // ---- uploads --------------------------------------------------------------------------------------------

  /** One XMLHttpRequest (fetch has no upload progress): resolves with status and parsed body; network failure → status 0. */
  function send(url, form, onProgress) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.upload.addEventListener('progress', (event) => event.lengthComputable && onProgress(event.loaded / event.total));
      xhr.addEventListener('load', () => {
        let body = {};
        try {
          body = JSON.parse(xhr.responseText);
        } catch (_) {
          /* not JSON: keep the status */
        }
        resolve({ status: xhr.status, body });
      });
      xhr.addEventListener('error', () => resolve({ status: 0, body: {} }));
      xhr.addEventListener('timeout', () => resolve({ status: 0, body: {} }));
      xhr.send(form);
    });
  }

  /**
   * Uploads with retries on a broken connection or a busy server (status 0, 429, 5xx): UPLOAD_ATTEMPTS tries,
   * waiting UPLOAD_BACKOFF_MS, then twice as long. Other refusals are final and mapped to what the person can do.
   */
  async function uploadWithRetry(url, form, onProgress) {
    let last = null;
    for (let attempt = 1; attempt <= UPLOAD_ATTEMPTS; attempt++) {
      if (attempt > 1) {
        const wait = UPLOAD_BACKOFF_MS * 2 ** (attempt - 2);
        $('upload-status').textContent = `Connection problem. Trying again (${attempt} of ${UPLOAD_ATTEMPTS})…`;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      last = await send(url, form, onProgress);
      if (last.status >= 200 && last.status < 300) return { ok: true, body: last.body };
      const type = last.body && last.body.error;
      if (type === 'session_expired' || type === 'link_expired') return { ok: false, kind: 'expired' };
      if (last.status === 409 && last.body.details && last.body.details.reason === 'already_uploaded') return { ok: false, alreadyUploaded: true };
      if (last.status === 403) return { ok: false, kind: 'invalid_link' };
      if (last.status === 404) return { ok: false, kind: 'not_found' };
      if (last.status !== 0 && last.status !== 429 && last.status < 500) {
        return { ok: false, message: (last.body && last.body.message) || `The upload was refused (HTTP ${last.status}).` };
      }
    }
    return { ok: false, message: 'The upload did not get through: check your connection, then press Try again.' };
  }

  // ---- start ----------------------------------------------------------------------------------------------

  // What this page will not send leaves the device first (purgeRecordings); a reopened page then sends what is left.
  const purged = purgeRecordings();
  if (config.state === 'completed' && config.pendingRecording) return purged.then(resumeRecording);
  if (config.state !== 'ready') return showError(config.state);
  setUpConsent();
  setUpDocument();
  setUpPrompts();
  $('selfie-take').addEventListener('click', takeSelfie);
  $('selfie-retake').addEventListener('click', resetSelfie);
  $('selfie-continue').addEventListener('click', sendSelfie);
  $('video-start').addEventListener('click', record);
  $('upload-retry').addEventListener('click', sendVideo);
  if (config.live) {
    $('live-join').addEventListener('click', joinQueue);
    $('live-rejoin').addEventListener('click', joinQueue);
    $('live-leave').addEventListener('click', leaveCall);
    $('agent-unmute').addEventListener('click', () => {
      $('agent-video').muted = false;
      $('agent-video').play().catch(() => undefined);
      $('agent-unmute').hidden = true;
    });
    // Leaving the page during a call: the service sees the events stream close and drops the call after its grace time.
  }
  // The session's own deadline: past it the links stop working, so say so rather than fail on upload.
  const expiresIn = Date.parse(config.expiresAt) - Date.now();
  // A call decided before then is not cut off: its recording has its own link.
  if (expiresIn > 0 && expiresIn < 2 ** 31 - 1) setTimeout(() => document.body.dataset.done !== 'true' && !live.decided && showError('expired'), expiresIn);
  show('consent');
})();
