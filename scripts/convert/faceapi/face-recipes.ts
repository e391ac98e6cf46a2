/** face-api's per-face networks: 68-point landmarks, 128-d recognition descriptor, age/gender. */
import type { ModelRecipe } from '../recipe.js';
import { ageGenderRecipe } from './age-gender.js';
import { faceLandmark68Recipe } from './face-landmark-68.js';
import { faceRecognitionRecipe } from './face-recognition.js';

export const FACEAPI_FACE_RECIPES: ModelRecipe[] = [faceLandmark68Recipe, faceRecognitionRecipe, ageGenderRecipe];
