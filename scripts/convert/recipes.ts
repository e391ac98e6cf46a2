/** Every model of the embedded default set, in manifest order. */
import { FACEAPI_RECIPES } from './faceapi/recipes.js';
import { HUMAN_CONTEXT_RECIPES } from './human/context-recipes.js';
import { HUMAN_RECIPES } from './human/recipes.js';
import { NSFWJS_RECIPES } from './nsfwjs/recipes.js';
import type { ModelRecipe } from './recipe.js';

export const RECIPES: ModelRecipe[] = [...FACEAPI_RECIPES, ...HUMAN_RECIPES, ...NSFWJS_RECIPES, ...HUMAN_CONTEXT_RECIPES];
