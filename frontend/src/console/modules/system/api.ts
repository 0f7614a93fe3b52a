import { api } from '@/shared/api'

export interface DictionaryItem {
  value: string
  label: string
  sort: number
  is_active: boolean
}
export interface Dictionary {
  id: number
  code: string
  name: string
  description: string
  is_builtin: boolean
  items: DictionaryItem[]
}
export interface Parameter {
  id: number
  key: string
  name: string
  kind: string
  value: string
  description: string
  is_builtin: boolean
  updated_at: string
}

const A = '/api/v1/access'
export const listDictionaries = () => api.get<Dictionary[]>(`${A}/dictionaries`)
export const saveDictionary = (id: number | null, body: Omit<Dictionary, 'id' | 'is_builtin'>) =>
  id ? api.put<Dictionary>(`${A}/dictionaries/${id}`, body) : api.post<Dictionary>(`${A}/dictionaries`, body)
export const deleteDictionary = (id: number) => api.delete(`${A}/dictionaries/${id}`)
export const listParameters = () => api.get<Parameter[]>(`${A}/parameters`)
export const saveParameter = (id: number | null, body: Omit<Parameter, 'id' | 'is_builtin' | 'updated_at'>) =>
  id ? api.put<Parameter>(`${A}/parameters/${id}`, body) : api.post<Parameter>(`${A}/parameters`, body)
export const deleteParameter = (id: number) => api.delete(`${A}/parameters/${id}`)

export const PARAMETER_KINDS: Record<string, string> = { text: '文本', integer: '整数', boolean: '是/否', json: 'JSON' }
